import NIOCore
import NIOHTTP1
import Upstream

/// The HTTP side's two clocks, so that neither an idle keep-alive connection nor a client that
/// sends slowly (slowloris) holds a connection forever:
/// - `limits.idleTimeout`: with no request in progress, the next request head must be complete
///   within this time of the last activity, or the connection is closed (a head dribbled in
///   byte by byte never completes, so this is also the header-read bound);
/// - `limits.requestReadTimeout`: a unary or server-streaming request's body must be complete
///   within this time of its head, or it is answered `408` and the connection closed.
/// Client-streaming bodies (uploads, chats) are paced by backpressure and not bounded.
///
/// One scheduled check per connection, re-armed lazily at the next deadline when it fires, so
/// reads never reschedule timers.
extension HTTPRequestHandler {
    func armTimeoutCheck(context: ChannelHandlerContext) {
        guard let limits = timeoutLimits else { return }
        let at = nextDeadline(limits)
        timeoutCheck = context.eventLoop.assumeIsolated().scheduleTask(deadline: at) { [self] in
            self.timeoutCheckFired()
        }
    }

    private var timeoutLimits: (idle: TimeAmount, read: TimeAmount)? {
        let limits = snapshotLimits
        guard limits.idleTimeoutMilliseconds > 0 || limits.requestReadTimeoutMilliseconds > 0 else { return nil }
        return (.milliseconds(limits.idleTimeoutMilliseconds), .milliseconds(limits.requestReadTimeoutMilliseconds))
    }

    /// When the current state's clock runs out (a call in progress: check again an idle period
    /// later).
    private func nextDeadline(_ limits: (idle: TimeAmount, read: TimeAmount)) -> NIODeadline {
        switch state {
        case .idle where pipelined.isEmpty && limits.idle > .zero:
            return lastActivity + limits.idle
        case .collecting, .discarding:
            if limits.read > .zero { return requestStarted + limits.read }
        default:
            break
        }
        return .now() + max(limits.idle, limits.read)
    }

    private func timeoutCheckFired() {
        timeoutCheck = nil
        guard let context = channelContext, context.channel.isActive, let limits = timeoutLimits else { return }
        let now = NIODeadline.now()
        switch state {
        case .idle where pipelined.isEmpty && limits.idle > .zero && now >= lastActivity + limits.idle:
            context.close(promise: nil)
            return
        case .collecting(let head, _, _) where limits.read > .zero && now >= requestStarted + limits.read,
            .discarding(let head, _) where limits.read > .zero && now >= requestStarted + limits.read:
            respond(to: head, error: .requestTimeout(after: limits.read), forceClose: true)
        default:
            break
        }
        armTimeoutCheck(context: context)
    }
}

extension GatewayError {
    /// A request body that did not arrive within `limits.requestReadTimeout`.
    static func requestTimeout(after limit: TimeAmount) -> GatewayError {
        GatewayError(
            code: .deadlineExceeded,
            message: "request body not received within \(limit.nanoseconds / 1_000_000) ms",
            httpStatusOverride: 408
        )
    }
}
