public import Logging
public import ServiceLifecycle

/// Runs a ``GatewayServer`` under swift-service-lifecycle: serves until graceful shutdown
/// (SIGTERM/SIGINT), then stops accepting and closes upstream connections.
public struct GatewayService: Service {
    private let server: GatewayServer
    private let logger: Logger

    /// Wraps a server that has not been started yet.
    public init(server: GatewayServer, logger: Logger) {
        self.server = server
        self.logger = logger
    }

    /// Starts the server, serves until the service group shuts down, then drains and closes it.
    public func run() async throws {
        let address = try await server.start()
        logger.info("portico listening on \(address)")
        await withGracefulShutdownHandler {
            while !Task.isCancelled && !Task.isShuttingDownGracefully {
                try? await Task.sleep(for: .milliseconds(200))
            }
        } onGracefulShutdown: {
            logger.info("shutting down")
        }
        await server.stop()
    }
}
