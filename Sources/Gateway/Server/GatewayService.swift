public import Logging
public import ServiceLifecycle

/// Runs a ``GatewayServer`` under swift-service-lifecycle: serves until graceful shutdown
/// (SIGTERM/SIGINT), then drains (``GatewayServer/drain(gracePeriod:)``: readiness 503, no new
/// connections, calls in flight finish within `shutdown.gracePeriod`, what is left is
/// cancelled) and stops. Cancellation (the service group giving up) stops at once.
public struct GatewayService: Service {
    private let server: GatewayServer
    private let logger: Logger

    /// Wraps a server that has not been started yet.
    public init(server: GatewayServer, logger: Logger) {
        self.server = server
        self.logger = logger
    }

    /// Starts the server, serves until the service group shuts down, then drains and stops it.
    public func run() async throws {
        let address = try await server.start()
        logger.info("portico listening on \(address)")
        if let adminPort = server.adminPort {
            logger.info("admin listener on port \(adminPort)")
        }
        do {
            try await gracefulShutdown()
        } catch {
            // Cancelled: no drain.
            await server.stop()
            return
        }
        let grace = Duration.milliseconds(server.snapshot.config.shutdown.gracePeriodMilliseconds)
        logger.info("draining", metadata: ["gracePeriod": "\(grace)"])
        let outcome = await server.drain(gracePeriod: grace)
        logger.info("shutting down", metadata: ["cancelledConnections": "\(outcome.cancelledConnections)"])
        await server.stop()
    }
}
