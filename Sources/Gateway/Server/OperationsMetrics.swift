import Foundation
public import Prometheus

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
        reloadSuccesses = registry.makeCounter(
            name: "portico_config_reloads_total",
            labels: [("result", "success")],
            help: "Configuration reloads, by result."
        )
        reloadFailures = registry.makeCounter(
            name: "portico_config_reloads_total",
            labels: [("result", "failure")],
            help: "Configuration reloads, by result."
        )
        lastSuccess = registry.makeGauge(
            name: "portico_config_last_reload_success_timestamp_seconds",
            help: "Unix time of the last configuration that went live (the first one included)."
        )
        registry.makeGauge(
            name: "portico_build_info",
            labels: [("version", PorticoVersion.current)],
            help: "Portico's version; the value is 1."
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
