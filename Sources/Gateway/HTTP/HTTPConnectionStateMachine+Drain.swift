/// Graceful drain (``GatewayServer/drain(gracePeriod:)``): the connection serves what it has
/// begun, then closes. An idle connection closes at once; a busy one answers its request with
/// `Connection: close` (``isDraining`` makes every later ``responseFinished(keepAlive:now:)``
/// close); requests pipelined behind it are not served (the client sees the close and sends
/// them elsewhere, as RFC 9112 §9.6 expects).
extension HTTPConnectionStateMachine {
    /// What to do when the drain begins.
    enum OnDrain: Equatable {
        /// Nothing now: the request in progress is answered first, then the connection closes.
        case none
        /// Close now: the connection is idle.
        case close
    }

    /// The server begins to drain.
    mutating func drain() -> OnDrain {
        isDraining = true
        switch state {
        case .idle where pipelined.isEmpty && malformedRequest == nil:
            state = .closing
            return .close
        case .draining(let budget, _):
            state = .draining(budget: budget, close: true)
            return .none
        default:
            return .none
        }
    }

    /// Whether a response written now keeps the connection open: the request asks for it, the
    /// caller does not close, and the server is not draining.
    func keepsAlive(_ requestKeepAlive: Bool) -> Bool {
        requestKeepAlive && !isDraining
    }
}
