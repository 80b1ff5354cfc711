import NIOCore
import NIOHTTP1

/// The connection's two clocks, so that neither an idle keep-alive connection nor a client that
/// sends slowly (slowloris) holds a connection forever:
/// - `idleTimeout`: with no request in progress, the next request head must be complete within
///   this time of the last activity, or the connection is closed (a head dribbled in byte by byte
///   never completes, so this is also the header-read bound);
/// - `requestReadTimeout`: a collected (unary or server-streaming) request body must be complete
///   within this time of its head, or it is answered `408` and the connection closed; a refused
///   or drained body gets the same time before the connection closes.
/// Client-streaming bodies (uploads, chats) are paced by backpressure and not bounded.
extension HTTPConnectionStateMachine {
    /// When the connection's clocks should be looked at next (nil: no clock is set). Idle: the
    /// idle deadline. Reading a collected, refused or drained body: the request-read deadline.
    /// Busy with a call: an idle period later, to look again.
    func nextDeadline(now: NIODeadline) -> NIODeadline? {
        let idle = limits.idleTimeout
        let read = limits.requestReadTimeout
        guard idle > .zero || read > .zero else { return nil }
        switch state {
        case .idle where pipelined.isEmpty && idle > .zero:
            return lastActivity + idle
        case .collecting, .discarding, .draining:
            if read > .zero { return requestStarted + read }
        case .closing:
            return nil
        default:
            break
        }
        return now + max(idle, read)
    }

    /// What the clocks say when looked at.
    enum OnTimeout {
        /// Nothing has run out.
        case none
        /// The idle connection has been quiet too long: close it.
        case close
        /// The request body did not arrive in time: answer `error` (408) and close.
        case respond(HTTPRequestHead, GatewayError)
    }

    /// The clocks are looked at (at ``nextDeadline(now:)``).
    mutating func timeoutCheck(now: NIODeadline) -> OnTimeout {
        let idle = limits.idleTimeout
        let read = limits.requestReadTimeout
        switch state {
        case .idle where pipelined.isEmpty && idle > .zero && now >= lastActivity + idle:
            state = .closing
            return .close
        case .collecting(let head, _, _, _) where read > .zero && now >= requestStarted + read,
            .discarding(let head, _) where read > .zero && now >= requestStarted + read:
            state = .closing
            return .respond(head, .requestTimeout(after: read))
        case .draining where read > .zero && now >= requestStarted + read:
            state = .closing
            return .close
        default:
            return .none
        }
    }
}
