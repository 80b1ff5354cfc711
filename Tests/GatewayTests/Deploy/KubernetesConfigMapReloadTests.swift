import Foundation
import NIOHTTP1
import Testing

/// A ConfigMap change reaches a running pod without a restart: the base's ConfigMap laid out as
/// the kubelet lays out a volume (`Gateway.yaml -> ..data/Gateway.yaml`, `..data -> ..<time>`),
/// served by `portico serve`, then updated the way the kubelet updates it (a new folder, a new
/// `..data` link renamed over the old one); the ConfigMap's own `watch: true` reloads it.
@Suite("Kubernetes ConfigMap reload")
struct KubernetesConfigMapReloadTests {
    @Test func anEditedConfigMapIsServedWithoutARestart() async throws {
        let build = try await KubernetesBuild.build("base")
        let rendered = try build.writeConfigMap("portico-config")
        defer { try? FileManager.default.removeItem(atPath: rendered) }
        // Only the listen addresses change: the test binds free loopback ports, not 8080/9901.
        let original = try String(contentsOfFile: "\(rendered)/Gateway.yaml", encoding: .utf8)
        let onLoopback =
            original
            .replacingOccurrences(of: "listen: 0.0.0.0:8080", with: "listen: 127.0.0.1:0")
            .replacingOccurrences(of: "admin: { listen: 0.0.0.0:9901 }", with: "admin: { listen: 127.0.0.1:0 }")
        #expect(onLoopback.components(separatedBy: "127.0.0.1:0").count == 3, "both listen lines were rewritten")
        let binding = "        - get: /v1/people/{id}\n"
        #expect(onLoopback.contains(binding))
        let edited = onLoopback.replacingOccurrences(of: binding, with: binding + "        - get: /v1/folks/{id}\n")
        let descriptor = try Data(contentsOf: URL(fileURLWithPath: "\(rendered)/demo.binpb"))

        let volume = NSTemporaryDirectory() + "portico-volume-\(UUID().uuidString)"
        let manager = FileManager.default
        try manager.createDirectory(atPath: volume, withIntermediateDirectories: true)
        defer { try? manager.removeItem(atPath: volume) }
        func writeVersion(_ name: String, config: String) throws {
            try manager.createDirectory(atPath: "\(volume)/\(name)", withIntermediateDirectories: true)
            try config.write(toFile: "\(volume)/\(name)/Gateway.yaml", atomically: false, encoding: .utf8)
            try descriptor.write(to: URL(fileURLWithPath: "\(volume)/\(name)/demo.binpb"))
        }
        try writeVersion("..2026_12_07_first", config: onLoopback)
        try manager.createSymbolicLink(atPath: "\(volume)/..data", withDestinationPath: "..2026_12_07_first")
        for file in ["Gateway.yaml", "demo.binpb"] {
            try manager.createSymbolicLink(atPath: "\(volume)/\(file)", withDestinationPath: "..data/\(file)")
        }

        let log = "\(volume)-portico.log"
        defer { try? manager.removeItem(atPath: log) }
        // As the pod runs it: not root.
        let process = try startPortico(["serve", "--config", "\(volume)/Gateway.yaml"], log: log, unprivileged: true)
        defer {
            process.terminate()
            process.waitUntilExit()
        }
        let admin = try await TestHTTPClient.connect(port: try await Self.adminPort(log: log))
        defer { Task { await admin.close() } }
        #expect(try await admin.send(.GET, "/routes").text.contains("/v1/people/{id}"))
        #expect(!(try await admin.send(.GET, "/routes").text.contains("/v1/folks/{id}")))

        try writeVersion("..2026_12_07_second", config: edited)
        try manager.createSymbolicLink(atPath: "\(volume)/..data_tmp", withDestinationPath: "..2026_12_07_second")
        #expect(rename("\(volume)/..data_tmp", "\(volume)/..data") == 0)
        try manager.removeItem(atPath: "\(volume)/..2026_12_07_first")

        var served = false
        for _ in 0..<200 where !served {
            try await Task.sleep(for: .milliseconds(50))
            served = try await admin.send(.GET, "/routes").text.contains("/v1/folks/{id}")
        }
        #expect(served, "the edited ConfigMap was not served within 10 s")
        #expect(process.isRunning)
        #expect(try String(contentsOfFile: log, encoding: .utf8).contains("reload"))
    }

    /// The admin port `portico serve` logged (`admin listener on port N`).
    static func adminPort(log: String) async throws -> Int {
        let phrase = "admin listener on port "
        let line = try await loggedLine(containing: phrase, in: log)
        // Text or JSON log lines alike: the digits after the phrase.
        guard let range = line.range(of: phrase), let port = Int(line[range.upperBound...].prefix { $0.isNumber })
        else {
            throw TestFailure("no port in \(line)")
        }
        return port
    }
}
