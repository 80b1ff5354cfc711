import Foundation

/// `demo-backend` on the backend's host of a ``ChaosNetwork`` (`ip netns exec`) and a real
/// `portico serve` in the root namespace whose backend's endpoint is the backend's address on
/// the link, with tight keepalive and the deadlines the scenarios check.
final class ChaosStack: Sendable {
    /// The network both run on.
    let network: ChaosNetwork
    /// The gateway's port on 127.0.0.1.
    let port: Int
    /// The files directory the backend serves and writes uploads to (the hosts share the file
    /// system; only the network is split).
    let filesDirectory: String
    /// The random file downloads fetch and uploads send (``payloadName`` in the files directory).
    let payload: [UInt8]

    /// The name of ``payload`` on the backend.
    static let payloadName = "chaos.bin"
    /// Keepalive PING after this many seconds without a byte from the backend...
    static let keepaliveSeconds = 2
    /// ...unanswered this many seconds: the connection is dropped, its calls fail `UNAVAILABLE`.
    static let keepaliveTimeoutSeconds = 2

    private init(network: ChaosNetwork, port: Int, filesDirectory: String, payload: [UInt8]) {
        self.network = network
        self.port = port
        self.filesDirectory = filesDirectory
        self.payload = payload
    }

    /// The gateway's configuration: one backend at `backend`, keepalive as above, unary calls'
    /// default deadline 10 s, and 20 ms for `EchoService.Fail` (``ChaosDeadlineKind/method``).
    static func configuration(backend: String) -> String {
        """
        listen: 127.0.0.1:0
        protos: [\(repositoryRoot)/Protos/demo.binpb]
        backends:
          demo:
            endpoints: [\(backend):50051]
            timeout: 10s
            keepalive: { interval: \(keepaliveSeconds)s, timeout: \(keepaliveTimeoutSeconds)s }
        services:
          demo.*: demo
        shutdown: { gracePeriod: 1s }
        methods:
          demo.echo.v1.EchoService.Fail:
            timeout: 20ms
        """
    }

    /// Builds a network, starts the backend on its far side and a gateway in front of it, runs
    /// `body`, and stops both processes and removes the network, however `body` ends.
    static func with<T>(_ body: (ChaosStack) async throws -> T) async throws -> T {
        try await ChaosNetwork.with { network in
            let base = NSTemporaryDirectory() + "portico-chaos-\(UUID().uuidString)"
            let files = base + "-files"
            try FileManager.default.createDirectory(atPath: files, withIntermediateDirectories: true)
            let payload = (0..<(64 << 10)).map { _ in UInt8.random(in: 0...255) }
            try Data(payload).write(to: URL(fileURLWithPath: files + "/" + payloadName))
            var backend: Process?
            var gateway: Process?
            defer {
                for process in [gateway, backend].compactMap({ $0 }) where process.isRunning {
                    process.terminate()
                    process.waitUntilExit()
                }
                try? FileManager.default.removeItem(atPath: files)
                for suffix in ["-backend.log", "-portico.log", ".yaml"] {
                    try? FileManager.default.removeItem(atPath: base + suffix)
                }
            }
            backend = try startBackend(network: network, files: files, log: base + "-backend.log")
            try await waitForBackend(log: base + "-backend.log")
            try configuration(backend: network.backendAddress).write(
                toFile: base + ".yaml",
                atomically: true,
                encoding: .utf8
            )
            gateway = try startPortico(
                ["serve", "--config", base + ".yaml"],
                log: base + "-portico.log"
            )
            let port = try await CommandLineTests.listeningPort(log: base + "-portico.log")
            return try await body(ChaosStack(network: network, port: port, filesDirectory: files, payload: payload))
        }
    }

    private static func startBackend(network: ChaosNetwork, files: String, log: String) throws -> Process {
        guard let portico = ServeCommandTests.executable else { throw TestFailure("portico is not built") }
        let demoBackend = URL(fileURLWithPath: portico).deletingLastPathComponent().path + "/demo-backend"
        guard FileManager.default.isExecutableFile(atPath: demoBackend) else {
            throw TestFailure("demo-backend is not built")
        }
        _ = FileManager.default.createFile(atPath: log, contents: nil)
        let process = Process()
        // `ip netns exec` execs the program: the process is demo-backend itself, in the namespace.
        process.executableURL = URL(fileURLWithPath: ChaosShell.path(of: "ip") ?? "/usr/sbin/ip")
        process.arguments = [
            "netns", "exec", network.backendNamespace, demoBackend,
            "--host", network.backendAddress, "--port", "50051", "--files", files, "--shutdown-grace", "0.2",
        ]
        process.standardOutput = try FileHandle(forWritingTo: URL(fileURLWithPath: log))
        process.standardError = process.standardOutput
        try process.run()
        return process
    }

    private static func waitForBackend(log: String) async throws {
        _ = try await loggedLine(containing: "demo-backend listening on", in: log)
    }
}
