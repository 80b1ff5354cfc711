import DemoServices
import Foundation
import NIOHTTP1
import Testing

/// `portico serve` as the unprivileged user every deployment runs it as (the image's 10001,
/// systemd's DynamicUser, Kubernetes' runAsNonRoot): it accepts clients, reaches backends and
/// answers. The other tests run as root here, which hides a socket option only root may set
/// (SO_DEBUG, once set by mistake for TCP_NODELAY: every connection was closed unanswered).
@Suite("portico serve unprivileged")
struct UnprivilegedServeTests {
    @Test func servesAProxiedCallAsAnUnprivilegedUser() async throws {
        try await withGateway { harness in
            let folder = NSTemporaryDirectory() + "portico-unprivileged-\(UUID().uuidString)"
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(atPath: folder) }
            let descriptor = folder + "/demo.binpb"
            try FileManager.default.copyItem(atPath: "\(repositoryRoot)/Protos/demo.binpb", toPath: descriptor)
            let config = folder + "/gateway.yaml"
            try """
            listen: 127.0.0.1:0
            protos: [\(descriptor)]
            backends:
              demo: { endpoints: [127.0.0.1:\(harness.backend.port)] }
            """.write(toFile: config, atomically: true, encoding: .utf8)
            for path in [folder, descriptor, config] {
                try FileManager.default.setAttributes(
                    [.posixPermissions: path == folder ? 0o755 : 0o644],
                    ofItemAtPath: path
                )
            }
            let log = folder + "/portico.log"
            let process = try startPortico(["serve", "--config", config], log: log, unprivileged: true)
            defer {
                process.terminate()
                process.waitUntilExit()
            }
            let client = try await TestHTTPClient.connect(port: try await CommandLineTests.listeningPort(log: log))
            defer { Task { await client.close() } }
            let response = try await client.send(.GET, "/v1/users/1")
            #expect(response.status == 200, "\(response.text)")
            #expect(response.text == #"{"id":1,"name":"Ada Lovelace"}"#)
        }
    }
}
