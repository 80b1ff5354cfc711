import DemoServices
import Foundation
import Gateway
import NIOHTTP1
import Testing

/// `watch: true`: a change of the configuration file, a Kubernetes ConfigMap update (the
/// `..data` symlink swapped to a new folder) and a change of a descriptor set each reload the
/// gateway, without a signal or a request.
@Suite("Config watch")
struct ConfigWatchTests {
    static func yaml(
        port: some CustomStringConvertible,
        protos: String = "\(repositoryRoot)/Protos/demo.binpb",
        extra: String = ""
    ) -> String {
        """
        listen: 127.0.0.1:0
        admin: { listen: 127.0.0.1:0 }
        watch: true
        protos: [\(protos)]
        backends:
          demo: { endpoints: [127.0.0.1:\(port)], timeout: 5s }
        \(extra)
        """
    }

    /// A changed file adds a route and changes the backend while a chat begun before keeps going
    /// and ends OK.
    @Test func aChangedFileIsReloaded() async throws {
        let file = try ReloadTests.ConfigFile()
        defer { file.remove() }
        try await withFileGateway(path: file.path, template: Self.yaml(port: "PORT")) { harness in
            let client = try await harness.client()
            #expect(try await client.send(.GET, "/v1/people/1").status == 404)
            let chat = try await ChatSession.open(port: harness.gatewayPort)
            try await chat.say("before")
            #expect(await chat.waitForLines(1, within: .seconds(5)))
            try file.write(
                Self.yaml(port: harness.backend.port, extra: ReloadTests.peopleRule)
                    .replacingOccurrences(of: "timeout: 5s", with: "timeout: 6s")
            )
            #expect(try await eventually { try await client.send(.GET, "/v1/people/1").status == 200 })
            #expect(harness.gateway.snapshot.config.backends["demo"]?.timeoutMilliseconds == 6_000)
            try await chat.say("after")
            try await chat.end()
            #expect(await chat.waitForEnd(within: .seconds(5)) == 200)
            #expect(chat.lines == ["{\"message\":\"you said: before\"}", "{\"message\":\"you said: after\"}"])
            let admin = try await harness.adminClient()
            let metrics = try await admin.send(.GET, "/metrics").text
            #expect(metrics.contains("portico_config_reloads_total{result=\"success\"} 1"), "\(metrics)")
            await admin.close()
            await chat.close()
            await client.close()
        }
    }

    /// A ConfigMap volume: `gateway.yaml -> ..data/gateway.yaml`, `..data -> ..<timestamp>`;
    /// an update writes a new folder and renames a new `..data` link over the old one.
    @Test func aConfigMapSymlinkSwapIsReloaded() async throws {
        let volume = NSTemporaryDirectory() + "portico-configmap-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: volume) }
        let manager = FileManager.default
        try manager.createDirectory(atPath: volume + "/..2024_01_01_first", withIntermediateDirectories: true)
        try manager.createSymbolicLink(atPath: volume + "/..data", withDestinationPath: "..2024_01_01_first")
        try manager.createSymbolicLink(atPath: volume + "/gateway.yaml", withDestinationPath: "..data/gateway.yaml")
        try await withFileGateway(path: volume + "/gateway.yaml", template: Self.yaml(port: "PORT")) {
            harness in
            let link = try manager.destinationOfSymbolicLink(atPath: volume + "/gateway.yaml")
            #expect(link == "..data/gateway.yaml", "the harness wrote through the link")
            let client = try await harness.client()
            #expect(try await client.send(.GET, "/v1/people/1").status == 404)
            // The update, as the kubelet makes it.
            try manager.createDirectory(atPath: volume + "/..2024_01_02_second", withIntermediateDirectories: true)
            try Self.yaml(port: harness.backend.port, extra: ReloadTests.peopleRule)
                .write(toFile: volume + "/..2024_01_02_second/gateway.yaml", atomically: false, encoding: .utf8)
            try manager.createSymbolicLink(atPath: volume + "/..data_tmp", withDestinationPath: "..2024_01_02_second")
            #expect(rename(volume + "/..data_tmp", volume + "/..data") == 0)
            try manager.removeItem(atPath: volume + "/..2024_01_01_first")
            #expect(try await eventually { try await client.send(.GET, "/v1/people/1").status == 200 })
            await client.close()
        }
    }

    @Test func aChangedDescriptorSetIsReloaded() async throws {
        let file = try ReloadTests.ConfigFile()
        defer { file.remove() }
        let protos = file.directory + "/demo.binpb"
        try FileManager.default.copyItem(atPath: repositoryRoot + "/Protos/demo.binpb", toPath: protos)
        try await withFileGateway(path: file.path, template: Self.yaml(port: "PORT", protos: "demo.binpb")) {
            harness in
            let admin = try await harness.adminClient()
            // An unreadable descriptor set: the reload fails (and is counted), nothing changes.
            try Data("not a descriptor set".utf8).write(to: URL(fileURLWithPath: protos))
            #expect(
                try await eventually {
                    try await admin.send(.GET, "/metrics").text.contains(
                        "portico_config_reloads_total{result=\"failure\"} 1"
                    )
                }
            )
            let client = try await harness.client()
            #expect(try await client.send(.GET, "/v1/users/1").status == 200)
            await client.close()
            await admin.close()
        }
    }
    /// A `.proto` source edited in a watched folder entry: it is compiled again and its new
    /// binding served; an edit that does not compile changes nothing.
    @Test func anEditedProtoSourceIsReloaded() async throws {
        let file = try ReloadTests.ConfigFile()
        defer { file.remove() }
        let folder = file.directory + "/protos/demo/user/v1"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let source = folder + "/user.proto"
        let original = try String(contentsOfFile: repositoryRoot + "/Protos/demo/user/v1/user.proto", encoding: .utf8)
        try original.write(toFile: source, atomically: true, encoding: .utf8)
        try await withFileGateway(path: file.path, template: Self.yaml(port: "PORT", protos: "protos")) { harness in
            let client = try await harness.client()
            #expect(try await client.send(.GET, "/v1/users/1").status == 200)
            try original.replacingOccurrences(of: "/v1/users/{id}", with: "/v1/members/{id}")
                .write(toFile: source, atomically: true, encoding: .utf8)
            #expect(try await eventually { try await client.send(.GET, "/v1/members/1").status == 200 })
            #expect(try await client.send(.GET, "/v1/users/1").status == 404)
            try "syntax = \"proto3\";\nmessage {".write(toFile: source, atomically: true, encoding: .utf8)
            let admin = try await harness.adminClient()
            #expect(
                try await eventually {
                    try await admin.send(.GET, "/metrics").text.contains(
                        "portico_config_reloads_total{result=\"failure\"} 1"
                    )
                }
            )
            #expect(try await client.send(.GET, "/v1/members/1").status == 200, "the old schema keeps serving")
            await admin.close()
            await client.close()
        }
    }
}
