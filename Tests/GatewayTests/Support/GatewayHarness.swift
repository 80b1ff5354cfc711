import DemoServices
import Foundation
import Gateway
import Logging
import NIOCore
import NIOPosix
import Prometheus
import Upstream

/// The repository root (for Protos/demo.binpb).
let repositoryRoot: String = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    .path

/// Real demo gRPC backends (none, one or several) and a real gateway in front of them, all on
/// free ports, for end-to-end tests. Every test that needs a demo backend or a gateway gets them
/// here, from ``with(backends:hosts:sharedPort:maxConcurrentStreams:gzip:tls:gracePeriod:throughRelay:eventLoops:resolver:config:configFile:_:)``,
/// which also stops them, whether the test returns or throws. (Backends that must misbehave are
/// ``MisbehavingBackend``s the test starts itself and names in `config`.)
///
/// ```swift
/// try await GatewayHarness.with(backends: 2, config: { ports in "…\(ports[0])…\(ports[1])…" }) { harness in
///     let client = try await harness.client()
///     …
/// }
/// ```
final class GatewayHarness: Sendable {
    /// The running gateway.
    let gateway: GatewayServer
    /// The port the gateway listens on.
    let gatewayPort: Int
    private let fleet: Backends

    private init(gateway: GatewayServer, gatewayPort: Int, fleet: Backends) {
        self.gateway = gateway
        self.gatewayPort = gatewayPort
        self.fleet = fleet
    }

    /// A fresh keep-alive connection to the gateway.
    func client() async throws -> TestHTTPClient {
        try await TestHTTPClient.connect(port: gatewayPort)
    }

    /// A fresh keep-alive connection to the gateway's admin listener (`admin:` must be set).
    func adminClient() async throws -> TestHTTPClient {
        guard let port = gateway.adminPort else { throw TestFailure("the gateway has no admin listener") }
        return try await TestHTTPClient.connect(port: port)
    }

    /// The files directory every backend serves (`FileService`, `UpFileService`); removed at the end.
    var filesDirectory: String { fleet.filesDirectory }
    /// The current server of each backend (the new one after ``restart(_:)``).
    var backends: [DemoBackendServer] { fleet.servers }
    /// Backend 0's current server.
    var backend: DemoBackendServer { backends[0] }
    /// The port each backend is bound to (0 for a unix socket).
    var ports: [Int] { fleet.ports }
    /// The address each backend is bound to: an IP literal, `localhost`, or `unix:<path>`.
    var hosts: [String] { fleet.hosts }
    /// What each backend has seen (calls per method, cancellations, progress).
    var observers: [DemoCallObserver] { fleet.observers }
    /// Backend 0's observer.
    var observer: DemoCallObserver { observers[0] }
    /// What each backend's health service answers.
    var healths: [DemoHealthStatus] { fleet.healths }
    /// `GetUser` calls each backend has served so far.
    var getUserCounts: [Int] { observers.map { $0.calls(method: "GetUser") } }
    /// The relay in front of backend 0, when the test asked for one.
    var relay: HTTP2SniffingRelay? { fleet.relay }

    /// Stops backend `index`; its port (or socket path) is left free.
    func stop(_ index: Int) async {
        await fleet.stop(index)
    }

    /// Starts backend `index` again on its old port (or socket path), with the same observer and
    /// health status.
    func restart(_ index: Int) async throws {
        try await fleet.restart(index)
    }

    /// Starts the backends, then a gateway configured by `config`, runs `body`, and stops
    /// everything again, whether `body` returns or throws and however far the start got: the
    /// gateway, then the backends in order, then the relay, then the event loops, then the files
    /// directory.
    /// - Parameters:
    ///   - count: How many demo backends (0 for a gateway alone).
    ///   - hosts: One bind address per backend (an IP literal, `localhost` or `unix:<path>`);
    ///     when given, its length is the number of backends. Nil = `count` times 127.0.0.1.
    ///   - sharedPort: Bind every backend to backend 0's port (pods behind one DNS name);
    ///     otherwise each gets a free port of its own.
    ///   - maxConcurrentStreams: What the backends advertise in `SETTINGS_MAX_CONCURRENT_STREAMS`.
    ///   - gzip: Whether the backends read and answer gzip-compressed messages.
    ///   - tls: What the backends serve over TLS; nil = plaintext HTTP/2.
    ///   - gracePeriod: How long stopping a backend lets its in-flight calls finish.
    ///   - throughRelay: Put an ``HTTP2SniffingRelay`` in front of backend 0.
    ///   - reflection: What the backends' reflection services describe (one catalog for all);
    ///     nil = the demo's own files.
    ///   - reflectionVersions: The reflection versions the backends serve.
    ///   - eventLoops: The gateway's event loops (a group the harness creates and shuts down).
    ///   - resolver: Resolves host names for `dns:` backends; nil = the system resolver.
    ///   - metrics: The gateway's metrics registry.
    ///   - accessLog: Where the gateway's access log goes; nil = standard output.
    ///   - config: The Gateway.yaml (relative paths against the repository root), given the
    ///     port of each backend, the relay's in place of backend 0's when there is one.
    ///   - configFile: Write the YAML to this file and start the gateway from it, so that it
    ///     can reload (`POST /reload`, `watch`); relative paths in it then resolve against its
    ///     folder. Nil: the gateway is built from the text and cannot reload itself.
    ///   - body: The test.
    static func with<T>(
        backends count: Int = 1,
        hosts: [String]? = nil,
        sharedPort: Bool = false,
        maxConcurrentStreams: Int? = nil,
        gzip: Bool = false,
        tls: DemoBackendTLS? = nil,
        gracePeriod: Duration = .seconds(1),
        throughRelay: Bool = false,
        reflection: DemoReflectionCatalog? = nil,
        reflectionVersions: [DemoReflectionVersion] = [.v1, .v1alpha],
        eventLoops: Int = 2,
        resolver: (any HostResolver)? = nil,
        metrics: PrometheusCollectorRegistry = PrometheusCollectorRegistry(),
        accessLog: (any AccessLogSink)? = nil,
        config: ([Int]) throws -> String,
        configFile: String? = nil,
        _ body: (GatewayHarness) async throws -> T
    ) async throws -> T {
        var template = DemoBackendOptions(host: "127.0.0.1", port: 0, filesDirectory: "")
        template.maxConcurrentStreams = maxConcurrentStreams
        template.gzip = gzip
        template.tls = tls
        template.shutdownGracePeriod = gracePeriod
        if let reflection { template.reflection = reflection }
        template.reflectionVersions = reflectionVersions
        let fleet = try Backends(hosts: hosts ?? Array(repeating: "127.0.0.1", count: count), template: template)
        let group = MultiThreadedEventLoopGroup(numberOfThreads: eventLoops)
        var gateway: GatewayServer?
        do {
            let configPorts = try await fleet.start(sharedPort: sharedPort, throughRelay: throughRelay)
            let snapshot: GatewaySnapshot
            if let configFile {
                // Not atomically: written through a symlink (a ConfigMap-style mount), it stays one.
                try config(configPorts).write(toFile: configFile, atomically: false, encoding: .utf8)
                snapshot = try GatewaySnapshot.load(configPath: configFile)
            } else {
                snapshot = try GatewaySnapshot(
                    config: GatewayConfig.parse(yaml: config(configPorts)),
                    baseDirectory: repositoryRoot
                )
            }
            var logger = Logger(label: "portico-test")
            logger.logLevel = .critical
            let server = GatewayServer(
                snapshot: snapshot,
                group: group,
                logger: logger,
                resolver: resolver ?? SystemHostResolver(),
                configPath: configFile,
                metrics: metrics,
                accessLogSink: accessLog ?? StandardOutputSink()
            )
            gateway = server
            let address = try await server.start()
            let result = try await body(GatewayHarness(gateway: server, gatewayPort: address.port ?? 0, fleet: fleet))
            await tearDown(gateway: gateway, fleet: fleet, group: group)
            return result
        } catch {
            await tearDown(gateway: gateway, fleet: fleet, group: group)
            throw error
        }
    }

    /// The one stop path: whatever was started, in a fixed order.
    private static func tearDown(gateway: GatewayServer?, fleet: Backends, group: MultiThreadedEventLoopGroup) async {
        await gateway?.stop()
        await fleet.stopAll()
        try? await group.shutdownGracefully()
        fleet.removeFiles()
    }
}
