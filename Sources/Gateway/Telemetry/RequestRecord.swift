import NIOCore
import NIOHTTP1

/// What one request (or WebSocket session) leaves behind when it ends, gathered while it runs:
/// when it started, its route, the bytes both ways, its upstream call. Owned by the connection's
/// handler (a value, no allocation) and handed to ``LoopTelemetry/end(_:status:remote:)``.
struct RequestRecord {
    /// When the request's head arrived (the loop's clock).
    let start: NIODeadline
    /// The request head (method, path, `User-Agent` for the log).
    let head: HTTPRequestHead
    /// `http_request_method`.
    let method: HTTPMethodLabel
    /// The access-log format, or nil when the access log is off.
    let accessLog: GatewayConfig.LoggingSettings.Format?
    /// Whether the request is counted in the metrics (`metrics.enabled` when it began).
    let recordsMetrics: Bool
    /// The matched route's telemetry; nil until (unless) the request matches.
    var route: RouteTelemetry?
    /// `X-Request-Id` (only while the access log is on).
    var requestID: String?
    /// Body bytes (or WebSocket payload bytes) received.
    var requestBytes = 0
    /// Body bytes (or WebSocket payload bytes) sent.
    var responseBytes = 0
    /// The upstream call, once it ended.
    var call: CallSummary?
    /// The status already sent (a stream's head), if any.
    var sentStatus: Int?
}
