import Logging

/// Reloads a running server from its configuration file: reads and validates the file and every
/// file it names, builds the complete new snapshot (off the event loops: in the caller's task),
/// then swaps it in (``GatewayServer/install(_:)``). A configuration with problems changes
/// nothing; the problems are thrown, each with its YAML path.
///
/// Every trigger goes through here — SIGHUP (`portico serve`), `POST /reload` on the admin
/// listener, a change of a watched file (`watch: true`) — so every reload is counted in
/// `portico_config_reloads_total{result}` and logged, with every problem when it fails.
///
/// Keys only a restart applies (`listen`, `admin`, `eventLoops`) keep their running values; a
/// file that changes them says so in ``ReloadSummary/restartRequired``.
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

    /// Reads the file again and installs what it says; counts and logs the outcome.
    /// - Parameter trigger: What asked for the reload (`SIGHUP`, `admin`, `watch`), for the log.
    /// - Returns: What changed; ``ReloadSummary/snapshot`` is the snapshot now serving.
    /// - Throws: ``ConfigError`` with every problem; the running snapshot stays.
    @discardableResult
    public func reload(trigger: String = "api") async throws(ConfigError) -> ReloadSummary {
        let reloader = self
        let outcome = await server.reloads.run { () async -> Result<ReloadSummary, ConfigError> in
            do throws(ConfigError) {
                return .success(try await reloader.reloadNow(trigger: trigger))
            } catch {
                return .failure(error)
            }
        }
        return try outcome.get()
    }

    /// One reload, after the ones asked for before it (``GatewayServer/reloads``).
    private func reloadNow(trigger: String) async throws(ConfigError) -> ReloadSummary {
        let summary: ReloadSummary
        do {
            summary = try await build()
        } catch {
            server.operations.reloaded(success: false)
            server.logger.error(
                "configuration reload failed; the previous configuration keeps serving",
                metadata: ["trigger": "\(trigger)", "problems": "\(error)"]
            )
            throw error
        }
        await server.install(summary.snapshot)
        server.operations.reloaded(success: true)
        server.logger.info(
            "configuration reloaded",
            metadata: [
                "trigger": "\(trigger)", "routes": "\(summary.snapshot.plans.count)",
                "backends": "\(summary.snapshot.backends.count)", "changes": "\(summary.logDescription)",
            ]
        )
        if !summary.restartRequired.isEmpty {
            server.logger.warning(
                "configuration changes not applied until a restart",
                metadata: ["keys": "\(summary.restartRequired.joined(separator: ", "))"]
            )
        }
        return summary
    }

    /// Reloads, ignoring the outcome (it is counted and logged).
    public func reloadLogged(trigger: String) async {
        _ = try? await reload(trigger: trigger)
    }

    /// Loads and builds the new snapshot, with the keys only a restart applies set back to the
    /// running ones.
    private func build() async throws(ConfigError) -> ReloadSummary {
        var loaded = try GatewayConfig.load(path: configPath)
        if let listenOverride { loaded.config.listen = listenOverride }
        let running = server.snapshot.config
        var restartRequired: [String] = []
        if loaded.config.listen != running.listen {
            restartRequired.append("listen")
            loaded.config.listen = running.listen
        }
        if loaded.config.admin != running.admin {
            restartRequired.append("admin")
            loaded.config.admin = running.admin
        }
        if loaded.config.eventLoops != running.eventLoops {
            restartRequired.append("eventLoops")
            loaded.config.eventLoops = running.eventLoops
        }
        let snapshot: GatewaySnapshot
        do {
            snapshot = try SnapshotBuilder(
                config: loaded.config,
                baseDirectory: loaded.baseDirectory,
                reflected: server.snapshot.reflected
            ).build()
        } catch {
            throw error.titled(configPath)
        }
        return ReloadSummary(from: server.snapshot, to: snapshot, restartRequired: restartRequired)
    }
}
