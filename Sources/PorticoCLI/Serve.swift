import ArgumentParser
import Gateway
import Logging
import ServiceLifecycle
import UnixSignals

/// `portico serve --config Gateway.yaml`: validate the configuration, then serve until SIGTERM;
/// SIGHUP reloads the configuration.
struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Serve the routes of a Gateway.yaml.")

    @Option(name: .shortAndLong, help: "Path to Gateway.yaml.")
    var config: String = "Gateway.yaml"

    @Option(help: "Override the listen address (host:port).")
    var listen: String?

    @Option(help: "Log level: trace, debug, info, notice, warning, error, critical (default: logging.level).")
    var logLevel: String?

    func run() async throws {
        LoggingSystem.bootstrap(GatewayLogHandler.init(label:))
        var logger = Logger(label: "portico")
        let snapshot: GatewaySnapshot
        let listenOverride: GatewayConfig.HostPort?
        do {
            var loaded = try GatewayConfig.load(path: config)
            listenOverride = try listen.map { address throws(ConfigError) in try GatewayConfig.parseHostPort(address) }
            if let listenOverride { loaded.config.listen = listenOverride }
            do {
                snapshot = try SnapshotBuilder(config: loaded.config, baseDirectory: loaded.baseDirectory).build()
            } catch {
                throw error.titled(config)
            }
        } catch {
            printError("\(error)")
            throw ExitCode(2)
        }
        GatewayLogHandler.format = snapshot.config.logging.format
        logger.logLevel = Logger.Level(rawValue: logLevel ?? snapshot.config.logging.level) ?? .info
        let descriptors = FileDescriptorLimit.raiseToHardLimit()
        logger.info("open-file limit", metadata: ["RLIMIT_NOFILE": "\(descriptors.map(String.init) ?? "unknown")"])
        let server = GatewayServer(snapshot: snapshot, logger: logger)
        let reloader = ConfigReloader(server: server, configPath: config, listenOverride: listenOverride)
        let group = ServiceGroup(
            services: [
                GatewayService(server: server, logger: logger), ReloadOnHangup(reloader: reloader, logger: logger),
            ],
            gracefulShutdownSignals: [.sigterm, .sigint],
            logger: logger
        )
        try await group.run()
    }
}

/// Reloads the configuration on every SIGHUP (a bad configuration is logged and changes
/// nothing), until the service group shuts down.
struct ReloadOnHangup: Service {
    let reloader: ConfigReloader
    let logger: Logger

    func run() async throws {
        let hangups = await UnixSignalsSequence(trapping: .sighup)
        await cancelWhenGracefulShutdown {
            for await _ in hangups {
                await reloader.reloadLogging(to: logger, trigger: "SIGHUP")
            }
        }
    }
}
