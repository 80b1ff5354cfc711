import Logging
import NIOConcurrencyHelpers
import NIOCore

/// Graceful drain (SIGTERM/SIGINT under `portico serve`), Envoy's and Kubernetes' way: stop
/// being ready, stop accepting, let what runs finish, then end what is left with an answer.
extension GatewayServer {
    /// How a drain ended.
    public struct DrainOutcome: Sendable, Equatable {
        /// Client connections still open when the grace period ended (their calls were cancelled).
        public var cancelledConnections: Int
    }

    /// Drains the server, then returns; call ``stop()`` afterwards.
    ///
    /// 1. Readiness turns 503 at once (``isDraining``).
    /// 2. The data listener closes: new connections are refused. (The admin listener stays, so
    ///    `/readyz` keeps answering 503 until ``stop()``.)
    /// 3. Idle keep-alive connections close; a connection busy with a request answers it with
    ///    `Connection: close` and closes; streams and WebSocket sessions run on.
    /// 4. When every connection has closed, or `gracePeriod` has passed, what is left is
    ///    cancelled with `UNAVAILABLE` ("the gateway is shutting down"): a unary call's 503 JSON,
    ///    a stream's final `{"error":…}` element, a WebSocket's close frame 1001; a second later
    ///    anything still open is closed.
    /// - Parameter gracePeriod: How long calls in flight may finish (`shutdown.gracePeriod`).
    @discardableResult
    public func drain(gracePeriod: Duration) async -> DrainOutcome {
        markDraining()
        let listener = channel.withLockedValue { $0.take() }
        try? await listener?.close()
        await forEachLoop { $0.beginDrain() }
        let deadline = ContinuousClock.now + gracePeriod
        var open = await openConnections()
        while open > 0, ContinuousClock.now < deadline {
            try? await Task.sleep(for: .milliseconds(20))
            open = await openConnections()
        }
        guard open > 0 else {
            logger.info("drained: every connection finished")
            return DrainOutcome(cancelledConnections: 0)
        }
        logger.warning(
            "grace period over: cancelling what is left",
            metadata: ["connections": "\(open)", "gracePeriod": "\(gracePeriod)"]
        )
        await forEachLoop { $0.cancelRemaining() }
        let closeBy = ContinuousClock.now + .seconds(1)
        while await openConnections() > 0, ContinuousClock.now < closeBy {
            try? await Task.sleep(for: .milliseconds(20))
        }
        await forEachLoop { $0.closeAll() }
        return DrainOutcome(cancelledConnections: open)
    }

    /// Client connections open across every event loop.
    public func openConnections() async -> Int {
        var total = 0
        for loop in loops {
            total += (try? await loop.eventLoop.submit { loop.openConnections }.get()) ?? 0
        }
        return total
    }

    private func forEachLoop(_ body: @escaping @Sendable (GatewayLoop) -> Void) async {
        for loop in loops {
            try? await loop.eventLoop.submit { body(loop) }.get()
        }
    }
}
