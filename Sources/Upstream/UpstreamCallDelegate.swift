public import NIOCore

/// Receives the events of one ``UpstreamCall``.
///
/// All callbacks run on the client's event loop, never from inside nghttp2 and never from inside
/// ``UpstreamCall/start(delegate:)`` or
/// ``UpstreamClient/startCall(path:metadata:timeout:delegate:onFinish:)``. The order is: at most one
/// `didReceiveHeaders`, any number of `didReceiveMessage`, then exactly one `didFinishWith`;
/// `upstreamCallSendBufferDrained` may come at any point before `didFinishWith`.
public protocol UpstreamCallDelegate: AnyObject {
    /// The response's initial metadata (pseudo-headers removed). Not called for trailers-only
    /// responses, whose fields arrive as the trailers of `didFinishWith`.
    func upstreamCall(_ call: UpstreamCall, didReceiveHeaders headers: [(name: String, value: String)])
    /// One complete response message, its 5-byte gRPC prefix removed.
    func upstreamCall(_ call: UpstreamCall, didReceiveMessage message: ByteBuffer)
    /// The call is over. Called exactly once, last. `trailers` are the server's trailer fields
    /// (including `grpc-status`/`grpc-message`), empty when the client synthesized the status.
    func upstreamCall(_ call: UpstreamCall, didFinishWith status: GRPCStatus, trailers: [(name: String, value: String)])
    /// The call's send buffer dropped below ``UpstreamConfiguration/sendBufferLowWatermark``
    /// after having been full (``UpstreamCall/isSendBufferFull``): feed it again. Called once per
    /// such transition, on a later event-loop tick than the one nghttp2 took the bytes in, and
    /// never after `didFinishWith`. The default implementation does nothing.
    func upstreamCallSendBufferDrained(_ call: UpstreamCall)
}

extension UpstreamCallDelegate {
    /// Does nothing: delegates that never stop feeding need not implement it.
    public func upstreamCallSendBufferDrained(_ call: UpstreamCall) {}
}

/// Re-routes calls that have not reached a backend: those whose connect failed (typically to
/// another endpoint of the same backend) and those waiting for a stream on a full connection
/// (typically to another connection to the same endpoint).
///
/// Such a call never reached any backend, so starting it elsewhere is safe for every call kind
/// (its messages are still buffered). Called on the client's event loop.
public protocol UpstreamCallRouter: AnyObject {
    /// `client` could not connect for `call` (``UpstreamCall/failedConnectAttempts`` counts the
    /// failures so far). Return `true` after handing the call to another client with
    /// ``UpstreamClient/adopt(_:)``, or `false` to let it fail with `UNAVAILABLE`. Never adopt it
    /// back into `client` from here.
    func upstreamClient(_ client: UpstreamClient, couldNotConnectFor call: UpstreamCall) -> Bool

    /// `client`'s connection has no free stream (its peer's `SETTINGS_MAX_CONCURRENT_STREAMS` is
    /// reached) and calls are waiting: take them with ``UpstreamClient/takeWaitingCalls()`` and
    /// ``UpstreamClient/adopt(_:)`` them elsewhere, or leave them to wait for a stream.
    func upstreamClientRanOutOfStreams(_ client: UpstreamClient)
}

extension UpstreamCallRouter {
    /// Leaves the calls waiting for a stream on the same connection.
    public func upstreamClientRanOutOfStreams(_ client: UpstreamClient) {}
}
