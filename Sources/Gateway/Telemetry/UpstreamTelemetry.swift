import NIOCore
import Prometheus
import Synchronization
import Upstream

/// One backend's ``ClusterObserver``: `portico_upstream_connections` and
/// `portico_upstream_endpoint_up` per endpoint, and `portico_upstream_retries_total` for the
/// transparent retries. One per backend name (``GatewayMetrics/cluster(_:)``), shared by the
/// clusters successive reloads make for it.
final class UpstreamTelemetry: ClusterObserver {
    /// The backend's name.
    let backend: String
    private let metrics: GatewayMetrics
    private let endpoints = Mutex<[String: Endpoint]>([:])

    init(backend: String, metrics: GatewayMetrics) {
        self.backend = backend
        self.metrics = metrics
    }

    /// The `endpoint` label: `host:port`, the resolved `ip:port` of a DNS-discovered address, or
    /// `unix:<path>`.
    static func label(_ target: UpstreamTarget) -> String {
        if let path = target.unixSocketPath { return "unix:\(path)" }
        if let ip = target.resolvedAddress?.ipAddress {
            return ip.contains(":") ? "[\(ip)]:\(target.port)" : "\(ip):\(target.port)"
        }
        return target.host.contains(":") ? "[\(target.host)]:\(target.port)" : "\(target.host):\(target.port)"
    }

    func endpoint(_ target: UpstreamTarget) -> any EndpointObserver {
        telemetry(of: target)
    }

    func published(_ view: ClusterView) {
        for endpoint in view.endpoints {
            telemetry(of: endpoint.target).healthChanged(endpoint.isHealthy)
        }
    }

    private func telemetry(of target: UpstreamTarget) -> Endpoint {
        let label = Self.label(target)
        return endpoints.withLock { endpoints in
            if let existing = endpoints[label] { return existing }
            let made = Endpoint(
                label: label,
                connections: metrics.upstreamConnections(backend: backend, endpoint: label),
                up: metrics.endpointUp(backend: backend, endpoint: label),
                unprocessed: metrics.retries(backend: backend, reason: .unprocessed),
                connectFailed: metrics.retries(backend: backend, reason: .connectFailed)
            )
            endpoints[label] = made
            return made
        }
    }

    /// One endpoint's gauges. Up = healthy by the last published view and the last connect
    /// attempt (from any event loop) succeeded or none failed yet.
    final class Endpoint: EndpointObserver {
        /// The `endpoint` label.
        let endpointLabel: String
        private let connections: Gauge
        private let up: Gauge
        private let unprocessed: Counter
        private let connectFailed: Counter
        /// Bit 0: unhealthy; bit 1: the last connect failed.
        private let down = Atomic<Int>(0)

        init(label: String, connections: Gauge, up: Gauge, unprocessed: Counter, connectFailed: Counter) {
            self.endpointLabel = label
            self.connections = connections
            self.up = up
            self.unprocessed = unprocessed
            self.connectFailed = connectFailed
            up.set(to: 1)
        }

        func connectionOpened() { connections.increment() }

        func connectionClosed() { connections.decrement() }

        func connectFinished(succeeded: Bool) { update(bit: 2, set: !succeeded) }

        func healthChanged(_ healthy: Bool) { update(bit: 1, set: !healthy) }

        func callRetried(_ reason: UpstreamRetryReason) {
            (reason == .unprocessed ? unprocessed : connectFailed).increment()
        }

        private func update(bit: Int, set: Bool) {
            if set {
                down.bitwiseOr(bit, ordering: .relaxed)
            } else {
                down.bitwiseAnd(~bit, ordering: .relaxed)
            }
            // From a fresh load: concurrent updates of the other bit leave the last word right.
            up.set(to: down.load(ordering: .relaxed) == 0 ? 1 : 0)
        }
    }
}
