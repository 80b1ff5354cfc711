import Prometheus
import Synchronization
import Upstream

/// Portico's metrics in one Prometheus registry: the names and help texts dashboards depend on,
/// the process-wide handles (active requests, open connections, dropped access-log lines) and the
/// factories of the labelled ones, which ``RouteTelemetry`` and ``UpstreamTelemetry`` call once
/// per label set and keep.
///
/// | metric | type | labels |
/// |---|---|---|
/// | `http_server_request_duration_seconds` | histogram | `http_request_method`, `http_route`, `http_response_status_code` |
/// | `http_server_active_requests` | gauge | |
/// | `portico_http_connections` | gauge | |
/// | `rpc_client_call_duration_seconds` | histogram | `rpc_system_name`, `rpc_method`, `rpc_status_code`, `backend` |
/// | `portico_stream_messages_total` | counter | `rpc_method`, `direction` |
/// | `portico_upstream_connections` | gauge | `backend`, `endpoint` |
/// | `portico_upstream_endpoint_up` | gauge | `backend`, `endpoint` |
/// | `portico_upstream_retries_total` | counter | `backend`, `reason` |
/// | `portico_access_log_dropped_total` | counter | |
/// | `portico_cors_rejected_total` | counter | `http_route`, `reason` |
/// | `portico_jwks_fetches_total` | counter | `provider`, `result` |
final class GatewayMetrics: Sendable {
    /// OpenTelemetry's advice for HTTP and RPC durations, in seconds.
    static let buckets: [Duration] = [
        .milliseconds(5), .milliseconds(10), .milliseconds(25), .milliseconds(50), .milliseconds(75),
        .milliseconds(100), .milliseconds(250), .milliseconds(500), .milliseconds(750), .seconds(1),
        .milliseconds(2500), .seconds(5), .milliseconds(7500), .seconds(10),
    ]

    /// The `http_route` of requests that matched no route.
    static let unmatchedRoute = "unmatched"

    // MetricNameDescriptor is an immutable struct of strings that does not declare Sendable.
    nonisolated(unsafe) private static let requestDuration = MetricNameDescriptor(
        metricName: "http_server_request_duration",
        unitName: "seconds",
        helpText: "Duration of HTTP server requests."
    )
    // MetricNameDescriptor is an immutable struct of strings that does not declare Sendable.
    nonisolated(unsafe) private static let callDuration = MetricNameDescriptor(
        metricName: "rpc_client_call_duration",
        unitName: "seconds",
        helpText: "Duration of gRPC calls to backends, from the call's start to its status."
    )
    // MetricNameDescriptor is an immutable struct of strings that does not declare Sendable.
    nonisolated(unsafe) private static let streamMessages = MetricNameDescriptor(
        metricName: "portico_stream_messages",
        unitName: "total",
        helpText: "gRPC messages sent to (sent) and received from (received) backends."
    )
    // MetricNameDescriptor is an immutable struct of strings that does not declare Sendable.
    nonisolated(unsafe) private static let upstreamConnections = MetricNameDescriptor(
        metricName: "portico_upstream_connections",
        unitName: "",
        helpText: "Open HTTP/2 connections to backend endpoints."
    )
    // MetricNameDescriptor is an immutable struct of strings that does not declare Sendable.
    nonisolated(unsafe) private static let endpointUp = MetricNameDescriptor(
        metricName: "portico_upstream_endpoint_up",
        unitName: "",
        helpText: "1 while a backend endpoint passes its health checks and its last connect succeeded."
    )
    // MetricNameDescriptor is an immutable struct of strings that does not declare Sendable.
    nonisolated(unsafe) private static let retries = MetricNameDescriptor(
        metricName: "portico_upstream_retries",
        unitName: "total",
        helpText: "Calls to backends made again: unprocessed, connect_failed (transparent) and policy."
    )

    // MetricNameDescriptor is an immutable struct of strings that does not declare Sendable.
    nonisolated(unsafe) private static let corsRejected = MetricNameDescriptor(
        metricName: "portico_cors_rejected",
        unitName: "total",
        helpText: "Cross-origin requests and preflights answered without a CORS grant, by reason."
    )

    // MetricNameDescriptor is an immutable struct of strings that does not declare Sendable.
    nonisolated(unsafe) private static let jwksFetches = MetricNameDescriptor(
        metricName: "portico_jwks_fetches",
        unitName: "total",
        helpText: "Fetches of a jwt provider's key set (JWKS) from its URL, by result (success, failure)."
    )

    /// Where every metric is registered.
    let registry: PrometheusCollectorRegistry
    /// `http_server_active_requests`.
    let activeRequests: Gauge
    /// `portico_http_connections`.
    let connections: Gauge
    /// `portico_access_log_dropped_total`.
    let accessLogDropped: Counter
    /// Requests that matched no route.
    let unmatched: RouteTelemetry
    private let clusters = Mutex<[String: UpstreamTelemetry]>([:])

    /// Registers the process-wide metrics in `registry`.
    init(registry: PrometheusCollectorRegistry) {
        self.registry = registry
        activeRequests = registry.makeGauge(
            descriptor: MetricNameDescriptor(
                metricName: "http_server_active_requests",
                unitName: "",
                helpText: "HTTP requests (and WebSocket sessions) in progress."
            )
        )
        connections = registry.makeGauge(
            descriptor: MetricNameDescriptor(
                metricName: "portico_http_connections",
                unitName: "",
                helpText: "Open client connections."
            )
        )
        accessLogDropped = registry.makeCounter(
            descriptor: MetricNameDescriptor(
                metricName: "portico_access_log_dropped",
                unitName: "total",
                helpText: "Access-log lines dropped because the writer's buffer was full."
            )
        )
        unmatched = RouteTelemetry(httpRoute: Self.unmatchedRoute, rpcMethod: "", backend: "")
    }

    // MARK: Factories (a registry lookup each: call once per label set)

    /// The `http_server_request_duration_seconds` series of one method, route and status.
    func requestDuration(method: String, route: String, status: Int) -> DurationHistogram {
        registry.makeDurationHistogram(
            descriptor: Self.requestDuration,
            labels: [
                ("http_request_method", method), ("http_route", route), ("http_response_status_code", String(status)),
            ],
            buckets: Self.buckets
        )
    }

    /// The `rpc_client_call_duration_seconds` series of one method, status and backend.
    func callDuration(rpcMethod: String, status: GRPCStatus.Code, backend: String) -> DurationHistogram {
        registry.makeDurationHistogram(
            descriptor: Self.callDuration,
            labels: [
                ("rpc_system_name", "grpc"), ("rpc_method", rpcMethod), ("rpc_status_code", status.name),
                ("backend", backend),
            ],
            buckets: Self.buckets
        )
    }

    /// The `portico_stream_messages_total` series of one method and direction.
    func streamMessages(rpcMethod: String, sent: Bool) -> Counter {
        registry.makeCounter(
            descriptor: Self.streamMessages,
            labels: [("rpc_method", rpcMethod), ("direction", sent ? "sent" : "received")]
        )
    }

    /// The `portico_upstream_retries_total` series of one backend and reason.
    func retries(backend: String, reason: UpstreamRetryReason) -> Counter {
        registry.makeCounter(descriptor: Self.retries, labels: [("backend", backend), ("reason", reason.label)])
    }

    /// The `portico_cors_rejected_total` series of one route and reason.
    /// Counts a fetch of a `jwt` provider's key set (`portico_jwks_fetches_total`).
    func jwksFetched(provider: String, succeeded: Bool) {
        registry.makeCounter(
            descriptor: Self.jwksFetches,
            labels: [("provider", provider), ("result", succeeded ? "success" : "failure")]
        ).increment()
    }

    func corsRejected(route: String, reason: CORSPolicy.Rejection) -> Counter {
        registry.makeCounter(descriptor: Self.corsRejected, labels: [("http_route", route), ("reason", reason.label)])
    }

    /// The `portico_upstream_connections` series of one endpoint.
    func upstreamConnections(backend: String, endpoint: String) -> Gauge {
        registry.makeGauge(
            descriptor: Self.upstreamConnections,
            labels: [("backend", backend), ("endpoint", endpoint)]
        )
    }

    /// The `portico_upstream_endpoint_up` series of one endpoint.
    func endpointUp(backend: String, endpoint: String) -> Gauge {
        registry.makeGauge(descriptor: Self.endpointUp, labels: [("backend", backend), ("endpoint", endpoint)])
    }

    /// The observer of backend `name`'s clusters (one per backend name, shared by the clusters a
    /// reload makes for it).
    func cluster(_ name: String) -> UpstreamTelemetry {
        clusters.withLock { clusters in
            if let existing = clusters[name] { return existing }
            let made = UpstreamTelemetry(backend: name, metrics: self)
            clusters[name] = made
            return made
        }
    }
}
