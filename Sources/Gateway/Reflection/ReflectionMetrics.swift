import Foundation
import Prometheus

/// The metrics of schema reflection, in the server's registry:
///
/// - `portico_reflection_fetches_total{backend, result="success"|"failure"}`: every fetch of a
///   backend's schema (at start, refreshes, retries);
/// - `portico_reflection_last_success_timestamp_seconds{backend}`: Unix time of the last fetch
///   that succeeded.
struct ReflectionMetrics: Sendable {
    private let registry: PrometheusCollectorRegistry
    private var fetches: MetricNameDescriptor {
        MetricNameDescriptor(
            metricName: "portico_reflection_fetches",
            unitName: "total",
            helpText: "Fetches of a backend's schema by gRPC server reflection, by result."
        )
    }
    private var lastSuccess: MetricNameDescriptor {
        MetricNameDescriptor(
            metricName: "portico_reflection_last_success_timestamp",
            unitName: "seconds",
            helpText: "Unix time of the last schema fetched by reflection, per backend."
        )
    }

    /// Records into `registry`.
    init(registry: PrometheusCollectorRegistry) {
        self.registry = registry
    }

    /// A fetch of backend's schema ended.
    func fetched(backend: String, success: Bool) {
        // The registry returns the same series for the same name and labels.
        registry.makeCounter(
            descriptor: fetches,
            labels: [("backend", backend), ("result", success ? "success" : "failure")]
        ).increment()
        if success {
            registry.makeGauge(descriptor: lastSuccess, labels: [("backend", backend)])
                .set(Date().timeIntervalSince1970)
        }
    }
}
