import ArgumentParser
import Gateway
import Logging
import ServiceLifecycle
import UnixSignals

/// `portico serve --config Gateway.yaml`: validate the configuration, then serve until SIGTERM.
struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Serve the routes of a Gateway.yaml.")

    @Option(name: .shortAndLong, help: "Path to Gateway.yaml.")
    var config: String = "Gateway.yaml"

    @Option(help: "Override the listen address (host:port).")
    var listen: String?

    @Option(help: "Log level: trace, debug, info, notice, warning, error, critical.")
    var logLevel: String = "info"

    func run() async throws {
        LoggingSystem.bootstrap(StreamLogHandler.standardError)
        var logger = Logger(label: "portico")
        logger.logLevel = Logger.Level(rawValue: logLevel) ?? .info
        let snapshot: GatewaySnapshot
        do {
            var loaded = try GatewayConfig.load(path: config)
            if let listen {
                loaded.config.listen = try GatewayConfig.parseHostPort(listen)
            }
            snapshot = try GatewaySnapshot(config: loaded.config, baseDirectory: loaded.baseDirectory)
        } catch {
            printError("\(config): \(error)")
            throw ExitCode(2)
        }
        let descriptors = FileDescriptorLimit.raiseToHardLimit()
        logger.info("open-file limit", metadata: ["RLIMIT_NOFILE": "\(descriptors.map(String.init) ?? "unknown")"])
        let server = GatewayServer(snapshot: snapshot, logger: logger)
        let group = ServiceGroup(
            services: [GatewayService(server: server, logger: logger)],
            gracefulShutdownSignals: [.sigterm, .sigint],
            logger: logger
        )
        try await group.run()
    }
}
