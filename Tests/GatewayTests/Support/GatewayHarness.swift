import DemoServices
import Foundation
import Gateway
import Logging
import NIOCore
import NIOPosix

/// The repository root (for Protos/demo.binpb).
let repositoryRoot: String = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    .path

/// A running demo backend plus a running gateway in front of it, both on port 0.
struct GatewayHarness: Sendable {
    let backend: DemoBackendServer
    let gateway: GatewayServer
    let gatewayPort: Int
    let filesDirectory: String
    let observer: DemoCallObserver
    /// The relay between gateway and backend, when the test asked for one.
    let relay: HTTP2SniffingRelay?

    /// A fresh keep-alive connection to the gateway.
    func client() async throws -> TestHTTPClient {
        try await TestHTTPClient.connect(port: gatewayPort)
    }
}

/// A Gateway.yaml for a backend on `backendPort`.
func demoConfigYAML(
    backendPort: Int,
    extra: String = "",
    protos: String = "Protos/demo.binpb",
    replacingBackends backends: String? = nil
) -> String {
    if let backends {
        return """
            listen: 127.0.0.1:0
            protos: [\(protos)]
            \(backends.replacingOccurrences(of: "PORT", with: "\(backendPort)"))
            \(extra)
            """
    }
    return """
    listen: 127.0.0.1:0
    protos: [\(protos)]
    backends:
      demo:
        endpoints: [127.0.0.1:\(backendPort)]
        timeout: 5s
    services:
      demo.*: demo
    headers:
      deny: [cookie]
    \(extra)
    """
}

/// Starts the demo backend and a gateway (two event loops), runs `body`, then stops both.
func withGateway<T>(
    extraConfig: String = "",
    protos: String = "Protos/demo.binpb",
    replacingBackends backends: String? = nil,
    backendGzip: Bool = false,
    eventLoops: Int = 2,
    throughRelay: Bool = false,
    _ body: (GatewayHarness) async throws -> T
) async throws -> T {
    let files = NSTemporaryDirectory() + "portico-test-\(UUID().uuidString)"
    try FileManager.default.createDirectory(atPath: files, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(atPath: files) }
    let observer = DemoCallObserver()
    var options = DemoBackendOptions(host: "127.0.0.1", port: 0, filesDirectory: files)
    options.observer = observer
    options.gzip = backendGzip
    let backend = try await DemoBackendServer.start(options)
    let relay = throughRelay ? try await HTTP2SniffingRelay.start(backendPort: backend.port) : nil
    let config = try GatewayConfig.parse(yaml: demoConfigYAML(
            backendPort: relay?.port ?? backend.port,
            extra: extraConfig,
            protos: protos,
            replacingBackends: backends
        )
    )
    let snapshot = try GatewaySnapshot(config: config, baseDirectory: repositoryRoot)
    let group = MultiThreadedEventLoopGroup(numberOfThreads: eventLoops)
    var logger = Logger(label: "portico-test")
    logger.logLevel = .critical
    let gateway = GatewayServer(snapshot: snapshot, group: group, logger: logger)
    let address = try await gateway.start()
    let harness = GatewayHarness(backend: backend, gateway: gateway, gatewayPort: address.port ?? 0, filesDirectory: files, observer: observer, relay: relay)
    do {
        let result = try await body(harness)
        await gateway.stop()
        await backend.stop()
        await relay?.stop()
        try? await group.shutdownGracefully()
        return result
    } catch {
        await gateway.stop()
        await backend.stop()
        await relay?.stop()
        try? await group.shutdownGracefully()
        throw error
    }
}
