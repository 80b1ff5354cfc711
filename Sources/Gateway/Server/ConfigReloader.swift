public import Logging

/// Reloads a running server from its configuration file: reads and validates the file and every
/// file it names, builds the complete new snapshot (off the event loops: in the caller's task),
/// then swaps it in (``GatewayServer/install(_:)``). A configuration with problems changes
/// nothing; the problems are thrown, each with its YAML path.
public struct ConfigReloader: Sendable {
    /// The server to reload.
    public let server: GatewayServer
    /// The configuration file.
    public let configPath: String
    /// The `--listen` override the server was started with, if any (kept across reloads).
    public let listenOverride: GatewayConfig.HostPort?

    /// Creates a reloader for `server`, started from `configPath`.
    public init(server: GatewayServer, configPath: String, listenOverride: GatewayConfig.HostPort? = nil) {
        self.server = server
        self.configPath = configPath
        self.listenOverride = listenOverride
    }

    /// Reads the file again and installs what it says.
    /// - Returns: The snapshot now serving.
    /// - Throws: ``ConfigError`` with every problem; the running snapshot stays.
    @discardableResult
    public func reload() async throws(ConfigError) -> GatewaySnapshot {
        var loaded = try GatewayConfig.load(path: configPath)
        if let listenOverride { loaded.config.listen = listenOverride }
        let snapshot: GatewaySnapshot
        do {
            snapshot = try SnapshotBuilder(config: loaded.config, baseDirectory: loaded.baseDirectory).build()
        } catch {
            throw error.titled(configPath)
        }
        await server.install(snapshot)
        return snapshot
    }

    /// Reloads, logging the outcome: what was loaded, or every problem (the old snapshot keeps
    /// serving).
    public func reloadLogging(to logger: Logger, trigger: String) async {
        do {
            let snapshot = try await reload()
            logger.info(
                "configuration reloaded",
                metadata: [
                    "trigger": "\(trigger)", "routes": "\(snapshot.plans.count)",
                    "backends": "\(snapshot.backends.count)",
                ]
            )
        } catch {
            logger.error(
                "configuration reload failed; the previous configuration keeps serving",
                metadata: ["trigger": "\(trigger)", "problems": "\(error)"]
            )
        }
    }
}
