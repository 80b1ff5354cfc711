import NIOCore
import NIOSSL
import NIOTLS

/// Sits between `NIOSSLClientHandler` and ``UpstreamConnection`` while a TLS connection comes up
/// and decides when it counts as connected: once the handshake has agreed on `h2` through ALPN
/// *and* the backend has sent its first bytes (its SETTINGS).
///
/// Waiting for those bytes matters with TLS 1.3: the client finishes its side of the handshake
/// before the server has judged the client certificate, so a backend that refuses our certificate
/// (or requires one we lack) answers with an alert only afterwards. Counting the connection as
/// established before that would start calls on it and report them as having reached a backend;
/// this way the refusal is a connect failure (retried on another endpoint, counted for ejection).
///
/// Anything else — a failed handshake, another protocol, the connection closing, or no progress
/// within `timeout` — fails ``established`` with an ``UpstreamTLSError`` and closes the channel.
/// The handler removes itself once the connection is established. Reads and events pass through
/// unchanged; ``UpstreamConnection`` writes its preface meanwhile and NIOSSL holds it until the
/// handshake completes.
final class UpstreamTLSHandshakeHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer

    private enum State {
        case handshaking
        case awaitingFirstBytes
        case done
    }

    private let target: UpstreamTarget
    /// The name the certificate must carry (nil: the target's IP address), for messages.
    private let expectedName: String?
    private let timeout: TimeAmount
    private var state = State.handshaking
    private var timer: Scheduled<Void>?
    private let promise: EventLoopPromise<Void>

    /// Succeeds once the connection is usable for HTTP/2; fails with ``UpstreamTLSError``.
    var established: EventLoopFuture<Void> { self.promise.futureResult }

    /// Creates the gate for one connection.
    /// - Parameters:
    ///   - target: The backend, for messages.
    ///   - expectedName: The name the certificate must carry; nil when it must name the address.
    ///   - timeout: How long the connect, the handshake and the backend's first bytes may take.
    ///   - eventLoop: The channel's loop.
    init(target: UpstreamTarget, expectedName: String?, timeout: TimeAmount, eventLoop: any EventLoop) {
        self.target = target
        self.expectedName = expectedName
        self.timeout = timeout
        self.promise = eventLoop.makePromise()
    }

    func handlerAdded(context: ChannelHandlerContext) {
        let timeout = self.timeout
        self.timer = context.eventLoop.assumeIsolated().scheduleTask(in: timeout) { [self] in
            let seconds = Double(timeout.nanoseconds) / 1e9
            self.fail(
                UpstreamTLSError(
                    code: .handshake,
                    message: "TLS handshake with \(self.target) timed out after \(seconds) s"
                ),
                context: context
            )
        }
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        self.timer?.cancel()
        self.fail(
            UpstreamTLSError(
                code: .handshake,
                message: "TLS connection to \(self.target) was torn down during the handshake"
            ),
            context: nil
        )
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if case .handshaking = self.state, let event = event as? TLSUserEvent,
            case .handshakeCompleted(let negotiated) = event
        {
            if negotiated == "h2" {
                self.state = .awaitingFirstBytes
            } else {
                let offered = negotiated.map { "\"\($0)\"" } ?? "no protocol"
                self.fail(
                    UpstreamTLSError(
                        code: .alpn,
                        message: "\(self.target) did not agree to HTTP/2 over TLS (ALPN: \(offered) instead of \"h2\")"
                    ),
                    context: context
                )
                return
            }
        }
        context.fireUserInboundEventTriggered(event)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        context.fireChannelRead(data)
        guard case .awaitingFirstBytes = self.state else { return }
        self.state = .done
        self.timer?.cancel()
        self.promise.succeed()
        context.pipeline.syncOperations.removeHandler(context: context, promise: nil)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        var message = "TLS handshake with \(self.target) failed"
        if let error = error as? NIOSSLExtraError, error == .failedToValidateHostname {
            // NIOSSL says "<none>" when checking an address; name what was expected.
            message += ": its certificate is not valid for \(self.expectedName ?? self.target.host)"
        }
        self.fail(UpstreamTLSError(code: .handshake, message: message, cause: error), context: context)
        context.fireErrorCaught(error)
    }

    func channelInactive(context: ChannelHandlerContext) {
        let message: String
        switch self.state {
        case .handshaking: message = "\(self.target) closed the connection during the TLS handshake"
        case .awaitingFirstBytes, .done:
            message =
                "\(self.target) closed the connection right after the TLS handshake (was our client certificate refused?)"
        }
        self.fail(UpstreamTLSError(code: .handshake, message: message), context: context)
        context.fireChannelInactive()
    }

    /// Fails ``established`` once, closing the channel when `context` is given.
    private func fail(_ error: UpstreamTLSError, context: ChannelHandlerContext?) {
        switch self.state {
        case .done: return
        case .handshaking, .awaitingFirstBytes: self.state = .done
        }
        self.timer?.cancel()
        self.promise.fail(error)
        context?.close(promise: nil)
    }
}

@available(*, unavailable)
extension UpstreamTLSHandshakeHandler: Sendable {}
