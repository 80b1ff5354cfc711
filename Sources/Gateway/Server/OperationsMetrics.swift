import Foundation
import Prometheus

/// The metrics of the server's control plane, recorded into the server's registry
/// (``GatewayServer/metrics``):
///
/// - `portico_config_reloads_total{result="success"|"failure"}`: every reload, whatever
///   triggered it (SIGHUP, `POST /reload`, a watched file);
/// - `portico_config_last_reload_success_timestamp_seconds`: Unix time of the last configuration
///   that went live, the first one (at start) included;
/// - `portico_build_info{version}`: always 1.
struct OperationsMetrics: Sendable {
    private let reloadSuccesses: Counter
    private let reloadFailures: Counter
    private let lastSuccess: Gauge

    /// Registers the metrics in `registry`.
    init(registry: PrometheusCollectorRegistry) {
        let reloads = MetricNameDescriptor(
            metricName: "portico_config_reloads",
            unitName: "total",
            helpText: "Configuration reloads, by result."
        )
        reloadSuccesses = registry.makeCounter(descriptor: reloads, labels: [("result", "success")])
        reloadFailures = registry.makeCounter(descriptor: reloads, labels: [("result", "failure")])
        lastSuccess = registry.makeGauge(
            descriptor: MetricNameDescriptor(
                metricName: "portico_config_last_reload_success_timestamp",
                unitName: "seconds",
                helpText: "Unix time of the last configuration that went live (the first one included)."
            )
        )
        registry.makeGauge(
            descriptor: MetricNameDescriptor(
                metricName: "portico_build",
                unitName: "info",
                helpText: "Portico's version; the value is 1."
            ),
            labels: [("version", PorticoVersion.current)]
        ).set(Int64(1))
    }

    /// A configuration went live (at start or by a reload).
    func configurationLoaded() {
        lastSuccess.set(Double(Date().timeIntervalSince1970))
    }

    /// A reload ended.
    func reloaded(success: Bool) {
        if success {
            reloadSuccesses.increment()
            configurationLoaded()
        } else {
            reloadFailures.increment()
        }
    }
}
