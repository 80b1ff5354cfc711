import DemoServices
import Foundation
import Gateway
import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import Upstream

/// Several demo backends (each counting its calls) behind one `backends.demo` entry.
final class MultiBackendHarness: Sendable {
    let files: String
    let observers: [DemoCallObserver]
    /// What each backend's health service answers.
    let healths: [DemoHealthStatus]
    let ports: [Int]
    /// The address each backend is bound to.
    let hosts: [String]
    let gateway: GatewayServer
    let gatewayPort: Int
    let group: MultiThreadedEventLoopGroup
    private let servers: NIOLockedValueBox<[DemoBackendServer?]>

    private let maxConcurrentStreams: Int?

    private init(files: String, observers: [DemoCallObserver], healths: [DemoHealthStatus], ports: [Int], hosts: [String], maxConcurrentStreams: Int?, servers: [DemoBackendServer], gateway: GatewayServer, gatewayPort: Int, group: MultiThreadedEventLoopGroup) {
        self.files = files
        self.observers = observers
        self.healths = healths
        self.ports = ports
        self.hosts = hosts
        self.maxConcurrentStreams = maxConcurrentStreams
        self.servers = NIOLockedValueBox(servers)
        self.gateway = gateway
        self.gatewayPort = gatewayPort
        self.group = group
    }

    /// `GetUser` calls each backend has served so far.
    var getUserCounts: [Int] { observers.map { $0.calls(method: "GetUser") } }

    /// A fresh keep-alive connection to the gateway.
    func client() async throws -> TestHTTPClient {
        try await TestHTTPClient.connect(port: gatewayPort)
    }

    /// Stops backend `index` (its port is left free).
    func stop(_ index: Int) async {
        let server = servers.withLockedValue { servers in
            defer { servers[index] = nil }
            return servers[index]
        }
        await server?.stop()
    }

    /// Starts backend `index` again on its old port, counting into the same observer.
    func restart(_ index: Int) async throws {
        var options = DemoBackendOptions(host: hosts[index], port: ports[index], filesDirectory: files)
        options.observer = observers[index]
        options.health = healths[index]
        options.maxConcurrentStreams = maxConcurrentStreams
        let server = try await DemoBackendServer.start(options)
        servers.withLockedValue { $0[index] = server }
    }

    /// Starts `count` backends and a gateway with `backendExtra` under `backends.demo`, runs
    /// `body`, then stops everything.
    /// - Parameters:
    ///   - hosts: Addresses to bind the backends to (one per backend, sharing one port, as the
    ///     pods behind a DNS name do); nil = `count` backends on 127.0.0.1, each on its own port.
    ///   - endpoints: The `endpoints:` value, with `PORT` standing for the backends' port; nil =
    ///     each backend's `host:port`.
    ///   - maxConcurrentStreams: What the backends advertise in `SETTINGS_MAX_CONCURRENT_STREAMS`.
    ///   - resolver: Resolves host names for `dns:`; nil = the system resolver.
    static func with<T>(
        count: Int = 1,
        hosts: [String]? = nil,
        endpoints: String? = nil,
        maxConcurrentStreams: Int? = nil,
        resolver: (any HostResolver)? = nil,
        backendExtra: String = "",
        extraConfig: String = "",
        eventLoops: Int = 1,
        _ body: (MultiBackendHarness) async throws -> T
    ) async throws -> T {
        let files = NSTemporaryDirectory() + "portico-multi-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: files) }
        let hosts = hosts ?? Array(repeating: "127.0.0.1", count: count)
        let sharedPort = hosts.count > 1 && Set(hosts).count == hosts.count
        var servers: [DemoBackendServer] = []
        var observers: [DemoCallObserver] = []
        let healths = hosts.map { _ in DemoHealthStatus() }
        for (index, host) in hosts.enumerated() {
            let observer = DemoCallObserver()
            let port = sharedPort && index > 0 ? servers[0].port : 0
            var options = DemoBackendOptions(host: host, port: port, filesDirectory: files)
            options.observer = observer
            options.health = healths[index]
            options.shutdownGracePeriod = .milliseconds(100)
            options.maxConcurrentStreams = maxConcurrentStreams
            servers.append(try await DemoBackendServer.start(options))
            observers.append(observer)
        }
        let ports = servers.map(\.port)
        let endpointList =
            endpoints?.replacingOccurrences(of: "PORT", with: "\(ports[0])")
            ?? "[\(zip(hosts, ports).map { "\($0):\($1)" }.joined(separator: ", "))]"
        let yaml = """
            listen: 127.0.0.1:0
            protos: [Protos/demo.binpb]
            backends:
              demo:
                endpoints: \(endpointList)
                timeout: 5s
            \(backendExtra.split(separator: "\n").map { "    " + $0 }.joined(separator: "\n"))
            \(extraConfig)
            """
        let snapshot = try GatewaySnapshot(config: try GatewayConfig.parse(yaml: yaml), baseDirectory: repositoryRoot)
        let group = MultiThreadedEventLoopGroup(numberOfThreads: eventLoops)
        var logger = Logger(label: "portico-test")
        logger.logLevel = .critical
        let gateway = GatewayServer(snapshot: snapshot, group: group, logger: logger, resolver: resolver ?? SystemHostResolver())
        let address = try await gateway.start()
        let harness = MultiBackendHarness(
            files: files, observers: observers, healths: healths, ports: ports, hosts: hosts,
            maxConcurrentStreams: maxConcurrentStreams, servers: servers,
            gateway: gateway, gatewayPort: address.port ?? 0, group: group
        )
        do {
            let result = try await body(harness)
            await harness.shutdown()
            return result
        } catch {
            await harness.shutdown()
            throw error
        }
    }

    private func shutdown() async {
        await gateway.stop()
        for index in ports.indices { await stop(index) }
        try? await group.shutdownGracefully()
    }
}
