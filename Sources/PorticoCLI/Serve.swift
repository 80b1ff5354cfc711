import ArgumentParser
import Gateway
import Logging
import ServiceLifecycle
import UnixSignals

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// `portico serve --config Gateway.yaml`: validate the configuration, then serve. SIGHUP
/// reloads the configuration; SIGTERM or SIGINT drains (see ``GatewayService``) and exits 0; a
/// second SIGTERM or SIGINT during the drain exits at once with status 128 + the signal's number
/// (143 for SIGTERM, 130 for SIGINT), as a shell reports a process killed by it.
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
        let mmapThreshold = HeapSettings.fixMmapThreshold()
        let thresholdText = mmapThreshold.map(String.init) ?? "left to the C library"
        logger.info("heap", metadata: ["mmap_threshold": "\(thresholdText)"])
        let server = GatewayServer(
            snapshot: snapshot,
            logger: logger,
            configPath: config,
            listenOverride: listenOverride
        )
        let reloader = ConfigReloader(server: server, configPath: config, listenOverride: listenOverride)
        // Graceful shutdown runs the services' shutdowns last to first: the gateway drains
        // first, the second-signal guard is the last to go.
        let group = ServiceGroup(
            services: [
                ExitOnSecondSignal(logger: logger),
                ReloadOnHangup(reloader: reloader),
                GatewayService(server: server, logger: logger),
            ],
            gracefulShutdownSignals: [.sigterm, .sigint],
            logger: logger
        )
        try await group.run()
    }
}

/// Reloads the configuration on every SIGHUP (counted and logged by ``ConfigReloader``; a bad
/// configuration changes nothing), until the service group shuts down.
struct ReloadOnHangup: Service {
    let reloader: ConfigReloader

    func run() async throws {
        let hangups = await UnixSignalsSequence(trapping: .sighup)
        await cancelWhenGracefulShutdown {
            for await _ in hangups {
                await reloader.reloadLogged(trigger: "SIGHUP")
            }
        }
    }
}

/// Counts SIGTERM and SIGINT on its own (the service group hears only the first): the second
/// one exits the process at once, with 128 + the signal's number, whatever is still draining.
struct ExitOnSecondSignal: Service {
    let logger: Logger

    func run() async throws {
        let signals = await UnixSignalsSequence(trapping: .sigterm, .sigint)
        await cancelWhenGracefulShutdown {
            var count = 0
            for await signal in signals {
                count += 1
                guard count >= 2 else { continue }
                logger.warning("second \(signal): exiting now")
                exit(128 + signal.rawValue)
            }
        }
    }
}
