import NIOCore
import NIOHTTP1
import Prometheus
import Upstream

/// One route's metric handles, held by its ``RoutePlan`` (and one more for requests that match no
/// route), so recording a request looks nothing up by name: each histogram or counter is made
/// the first time its label set is seen (a method and status, a gRPC status) and kept in a
/// lock-free ``MetricSlots`` table.
///
/// A plan's handles come from the registry of the first server that records with it; a snapshot
/// serves one server.
public final class RouteTelemetry: Sendable {
    /// `http_route`: the template as written, or `unmatched`.
    let httpRoute: String
    /// `rpc_method`: `package.Service/Method` (empty for `unmatched`).
    let rpcMethod: String
    /// `backend` (empty for `unmatched`).
    let backend: String
    private let requests = MetricSlots<DurationHistogram>()
    private let calls = MetricSlots<DurationHistogram>()
    private let messages = MetricSlots<Counter>()
    private let retries = MetricSlots<Counter>()
    private let corsRejections = MetricSlots<Counter>()

    init(httpRoute: String, rpcMethod: String, backend: String) {
        self.httpRoute = httpRoute
        self.rpcMethod = rpcMethod
        self.backend = backend
    }

    /// Records one HTTP request (or WebSocket session) in `http_server_request_duration_seconds`.
    @inline(__always)
    func recordRequest(method: HTTPMethodLabel, status: Int, duration: TimeAmount, metrics: GatewayMetrics) {
        let histogram = requests.handle(Int(method.index) << 10 | (status & 0x3FF)) {
            metrics.requestDuration(method: method.label, route: httpRoute, status: status)
        }
        histogram.record(.nanoseconds(duration.nanoseconds))
    }

    /// Records one upstream call in `rpc_client_call_duration_seconds`.
    @inline(__always)
    func recordCall(status: GRPCStatus.Code, duration: TimeAmount, metrics: GatewayMetrics) {
        let histogram = calls.handle(status.rawValue) {
            metrics.callDuration(rpcMethod: rpcMethod, status: status, backend: backend)
        }
        histogram.record(.nanoseconds(duration.nanoseconds))
    }

    /// `portico_stream_messages_total{direction="sent"}` (to the backend) or `"received"`.
    @inline(__always)
    func messageCounter(sent: Bool, metrics: GatewayMetrics) -> Counter {
        messages.handle(sent ? 0 : 1) { metrics.streamMessages(rpcMethod: rpcMethod, sent: sent) }
    }

    /// Counts one attempt made again by the method's retry policy.
    func recordPolicyRetry(metrics: GatewayMetrics) {
        retries.handle(0) { metrics.retries(backend: backend, reason: .policy) }.increment()
    }

    /// Counts one cross-origin request or preflight the route's CORS policy granted nothing.
    func recordCORSRejection(_ reason: CORSPolicy.Rejection, metrics: GatewayMetrics) {
        corsRejections.handle(reason.rawValue) { metrics.corsRejected(route: httpRoute, reason: reason) }.increment()
    }
}

/// `http_request_method`: the method's name when it is one of HTTP's own, else `_OTHER`
/// (OpenTelemetry's rule: labels never carry what a client made up), with a small index for
/// ``MetricSlots`` keys.
struct HTTPMethodLabel {
    /// 0–8 for the known methods, 9 for `_OTHER`.
    let index: UInt8
    /// The label value.
    let label: String

    /// The label of `method`.
    init(_ method: HTTPMethod) {
        switch method {
        case .GET: (index, label) = (0, "GET")
        case .HEAD: (index, label) = (1, "HEAD")
        case .POST: (index, label) = (2, "POST")
        case .PUT: (index, label) = (3, "PUT")
        case .DELETE: (index, label) = (4, "DELETE")
        case .CONNECT: (index, label) = (5, "CONNECT")
        case .OPTIONS: (index, label) = (6, "OPTIONS")
        case .TRACE: (index, label) = (7, "TRACE")
        case .PATCH: (index, label) = (8, "PATCH")
        default: (index, label) = (9, "_OTHER")
        }
    }
}
