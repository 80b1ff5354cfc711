import NIOCore
import Upstream

/// The client side of one call: an HTTP/1.1 response being written (``ResponseEmitter``) or a
/// WebSocket session (``WebSocketCallHandler``). A ``CallExchange`` drives it: it hands it the
/// response as it arrives and tells it when the call is over, and it reports the client's
/// socket back (writability, and whether any of the response went out).
protocol CallClient: AnyObject {
    /// Whether the client's socket takes more bytes now (else the upstream stream is paused).
    var isClientWritable: Bool { get }
    /// Whether any of the response reached the client (a failed attempt can then no longer be
    /// retried).
    var hasStartedResponse: Bool { get }
    /// The upstream send buffer is full: stop reading the client.
    func pauseReadingClient()
    /// The upstream send buffer drained: read the client again.
    func resumeReadingClient()
    /// The backend's response headers (metadata).
    func callReceivedHeaders(_ headers: [(name: String, value: String)])
    /// One response message.
    /// - Throws: ``GatewayError`` when it cannot be written (the call then fails with it).
    func callReceivedMessage(_ message: ByteBuffer) throws(GatewayError)
    /// The call is over: OK, or failed (by the backend, the gateway, or the client's own bad
    /// input). Called once, last.
    /// - Parameters:
    ///   - outcome: How it ended.
    ///   - summary: The call as the access log tells it (status, endpoint, time upstream).
    func callFinished(_ outcome: CallOutcome, summary: CallSummary)
}

/// One finished upstream call, for the access log: its gRPC status, the endpoint it last went to
/// and how long it took (every attempt, from the first start to the status).
struct CallSummary {
    /// The final status (the gateway's own when it ended the call, `CANCELLED` when the client
    /// went away).
    var status: GRPCStatus.Code
    /// The endpoint of the last attempt, if it reached one.
    var endpoint: UpstreamTarget?
    /// That endpoint as the metrics name it (made once per endpoint), when known.
    var endpointLabel: String?
    /// From the call's start to its end.
    var duration: TimeAmount
}

/// How a call ended.
enum CallOutcome {
    /// The backend answered OK, with these trailers.
    case ok(trailers: [(name: String, value: String)])
    /// The call failed; `trailers` are the backend's, when it sent any.
    case failed(GatewayError, trailers: [(name: String, value: String)])
}
