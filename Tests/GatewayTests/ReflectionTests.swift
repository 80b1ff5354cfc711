import DemoServices
import Foundation
import Gateway
import Logging
import NIOCore
import NIOHTTP1
import NIOPosix
import SwiftProtobuf
import Testing

/// `backends.<name>.reflection`: Portico started with no `protos:` takes the demo's services and
/// schemas from the backend's gRPC server reflection, follows imports the backend does not send
/// with a file, waits (not ready) for a backend it cannot reach, picks up a changed schema
/// without a restart, and keeps the last good schema when a refresh fails.
@Suite("Server reflection", .serialized)
struct ReflectionTests {
    /// A gateway on the demo backend with reflection only, `GetUser`'s extra binding from a YAML
    /// rule (which waits for the reflected schema), and an admin listener.
    static func config(port: Int, reflection: String = "true", backends: String? = nil) -> String {
        """
        listen: 127.0.0.1:0
        admin: { listen: 127.0.0.1:0 }
        backends:
        \(backends ?? """
          demo:
            endpoints: [127.0.0.1:\(port)]
            timeout: 5s
            reflection: \(reflection)
        """)
        http:
          rules:
            - selector: demo.user.v1.UserService.GetUser
              get: /v1/users/{id}
              additional_bindings:
                - get: /v1/people/{id}
        """
    }

    /// ``config(port:reflection:backends:)`` on backend 0's port.
    static func onFirstBackend(reflection: String = "true") -> ([Int]) -> String {
        { ports in config(port: ports[0], reflection: reflection) }
    }

    @Test func servesEveryCallKindFromReflectionAlone() async throws {
        try await GatewayHarness.with(config: Self.onFirstBackend()) { harness in
            #expect(try await eventually { harness.gateway.snapshot.reflectionPending.isEmpty })
            let schema = try #require(harness.gateway.snapshot.reflected["demo"])
            #expect(schema.version == "v1")
            #expect(
                schema.services == [
                    "demo.chat.v1.ChatService", "demo.echo.v1.EchoService", "demo.file.v1.FileService",
                    "demo.upfile.v1.UpFileService", "demo.user.v1.UserService",
                ]
            )
            // The demo sends each file alone: its imports came from file_by_filename questions.
            for file in ["google/api/annotations.proto", "google/api/http.proto", "google/protobuf/descriptor.proto"] {
                #expect(schema.files[file] != nil, "\(file) was not fetched")
            }
            let admin = try await harness.adminClient()
            #expect(try await admin.send(.GET, "/readyz").status == 200)
            await admin.close()

            let client = try await harness.client()
            let user = try await client.send(.GET, "/v1/people/1")
            #expect(user.status == 200)
            #expect(user.text == #"{"id":1,"name":"Ada Lovelace"}"#)
            try Data(repeating: 7, count: 2500).write(to: URL(fileURLWithPath: harness.filesDirectory + "/data.bin"))
            let download = try await client.send(.GET, "/v1/files/data.bin:chunks")
            #expect(download.status == 200)
            #expect(download.text.split(separator: "\n").count == 3)
            let upload = try await client.send(.PUT, "/v1/files/up.txt", bodyBytes: Array("uploaded".utf8))
            #expect(upload.status == 200, "\(upload.text)")
            #expect(try String(contentsOfFile: harness.filesDirectory + "/up.txt", encoding: .utf8) == "uploaded")
            await client.close()
            #expect(try await StreamingTestClient.chatsOneAndTwo(port: harness.gatewayPort, uri: "/v1/chat"))
        }
    }

    @Test func fallsBackToV1AlphaReflection() async throws {
        try await GatewayHarness.with(reflectionVersions: [.v1alpha], config: Self.onFirstBackend()) { harness in
            #expect(try await eventually { harness.gateway.snapshot.reflectionPending.isEmpty })
            #expect(harness.gateway.snapshot.reflected["demo"]?.version == "v1alpha")
            let client = try await harness.client()
            #expect(try await client.send(.GET, "/v1/users/1").status == 200)
            await client.close()
        }
    }

    /// The demo's schema without `EchoService.Metadata` (`GET /v1/metadata`), as an older build
    /// of the backend would describe itself.
    static func schemaWithoutMetadataMethod() throws -> [UInt8] {
        var set = try Google_Protobuf_FileDescriptorSet(serializedBytes: DemoReflectionCatalog.demoDescriptorSet)
        let file = try #require(set.file.firstIndex { $0.name == "demo/echo/v1/echo.proto" })
        set.file[file].clearSourceCodeInfo()
        let before = set.file[file].service[0].method.count
        set.file[file].service[0].method.removeAll { $0.name == "Metadata" }
        #expect(set.file[file].service[0].method.count == before - 1)
        return try set.serializedBytes()
    }

    /// A method added to the backend is served after the next refresh, without a restart, and a
    /// chat opened before the swap goes on and ends OK on the snapshot it started with.
    @Test func picksUpAnAddedMethodWhileAStreamRuns() async throws {
        let catalog = try DemoReflectionCatalog(descriptorSet: Self.schemaWithoutMetadataMethod())
        try await GatewayHarness.with(
            reflection: catalog,
            config: Self.onFirstBackend(reflection: "{ refreshInterval: 200ms }")
        ) { harness in
            #expect(try await eventually { harness.gateway.snapshot.reflectionPending.isEmpty })
            let client = try await harness.client()
            #expect(try await client.send(.GET, "/v1/metadata").status == 404)
            let chat = try await StreamingTestClient.start(port: harness.gatewayPort, method: .POST, uri: "/v1/chat")
            try await chat.send("{\"message\":\"before\"}\n")

            try catalog.replace(with: DemoReflectionCatalog.demoDescriptorSet)
            #expect(try await eventually { try await client.send(.GET, "/v1/metadata").status == 200 })
            #expect(try await client.send(.GET, "/v1/users/1").status == 200)
            await client.close()

            try await chat.send("{\"message\":\"after\"}\n")
            try await chat.end()
            let replies = await chat.collect()
            #expect(replies.status == 200)
            #expect(
                replies.text.split(separator: "\n") == [
                    #"{"message":"you said: before"}"#, #"{"message":"you said: after"}"#,
                ]
            )
        }
    }

    /// The demo configuration with `protos:` (the harness's own gateway, unused by the test).
    static func protosOnFirstBackend(_ ports: [Int]) -> String {
        demoConfigYAML(backendPort: ports[0])
    }

    /// A backend that cannot be reached at start is asked again with backoff; `/readyz` says so
    /// until its schema is in; a later failed refresh keeps the schema serving.
    @Test func waitsForAnUnreachableBackendAndKeepsTheLastSchema() async throws {
        try await GatewayHarness.with(config: Self.protosOnFirstBackend) { harness in
            await harness.stop(0)
            let yaml = Self.config(port: harness.ports[0], reflection: "{ refreshInterval: 200ms }")
            let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
            var logger = Logger(label: "portico-test")
            logger.logLevel = .critical
            let gateway = GatewayServer(
                snapshot: try GatewaySnapshot(config: GatewayConfig.parse(yaml: yaml), baseDirectory: repositoryRoot),
                group: group,
                logger: logger
            )
            let port = try #require(try await gateway.start().port)
            do {
                let admin = try await TestHTTPClient.connect(port: try #require(gateway.adminPort))
                #expect(
                    try await eventually {
                        try await admin.send(.GET, "/readyz").text.contains(
                            "no schema from reflection yet: backend demo"
                        )
                    }
                )
                let waiting = try await admin.send(.GET, "/readyz")
                #expect(waiting.status == 503)
                #expect(gateway.snapshot.plans.isEmpty)
                let client = try await TestHTTPClient.connect(port: port)
                #expect(try await client.send(.GET, "/v1/users/1").status == 404)

                try await harness.restart(0)
                #expect(try await eventually { try await admin.send(.GET, "/readyz").status == 200 })
                #expect(try await client.send(.GET, "/v1/people/1").status == 200)

                await harness.stop(0)
                let failures = try await eventually {
                    try await admin.send(.GET, "/metrics").text.contains(
                        #"portico_reflection_fetches_total{backend="demo",result="failure"}"#
                    )
                }
                #expect(failures)
                #expect(gateway.snapshot.reflected["demo"] != nil)
                #expect(gateway.snapshot.plans.count > 0)
                try await harness.restart(0)
                #expect(try await eventually { try await client.send(.GET, "/v1/users/1").status == 200 })
                await client.close()
                await admin.close()
            } catch {
                await gateway.stop()
                try? await group.shutdownGracefully()
                throw error
            }
            await gateway.stop()
            try? await group.shutdownGracefully()
        }
    }

    /// A configuration reload keeps the schema it has (no new fetch needed) and applies rules to it.
    @Test func aReloadKeepsTheReflectedSchema() async throws {
        let file = NSTemporaryDirectory() + "portico-reflection-\(UUID().uuidString).yaml"
        defer { try? FileManager.default.removeItem(atPath: file) }
        try await GatewayHarness.with(config: Self.onFirstBackend(), configFile: file) { harness in
            #expect(try await eventually { harness.gateway.snapshot.reflectionPending.isEmpty })
            let yaml = try String(contentsOfFile: file, encoding: .utf8)
            try yaml.replacingOccurrences(of: "/v1/people/{id}", with: "/v1/persons/{id}")
                .write(toFile: file, atomically: true, encoding: .utf8)
            let reloader = try #require(harness.gateway.reloader)
            let summary = try await reloader.reload()
            #expect(summary.routesAdded == ["GET /v1/persons/{id} -> demo.user.v1.UserService/GetUser"])
            #expect(summary.routesRemoved == ["GET /v1/people/{id} -> demo.user.v1.UserService/GetUser"])
            #expect(summary.snapshot.reflected["demo"] != nil)
            let client = try await harness.client()
            #expect(try await client.send(.GET, "/v1/persons/2").status == 200)
            await client.close()
        }
    }

    /// Two backends whose reflection offers one service: a problem naming both, until a
    /// `services` entry chooses.
    @Test func twoBackendsOfferingOneServiceIsAProblemNamingBoth() async throws {
        let catalog = DemoReflectionCatalog.demo()
        let schema = ReflectedSchema(
            services: ["demo.user.v1.UserService"],
            files: try Self.files(of: catalog),
            version: "v1"
        )
        let yaml = """
            listen: 127.0.0.1:0
            backends:
              a: { endpoints: [127.0.0.1:1], reflection: true }
              b: { endpoints: [127.0.0.1:2], reflection: true }
            """
        let config = try GatewayConfig.parse(yaml: yaml)
        #expect(throws: ConfigError.self) {
            try SnapshotBuilder(config: config, baseDirectory: repositoryRoot, reflected: ["a": schema, "b": schema])
                .build()
        }
        do {
            _ = try SnapshotBuilder(
                config: config,
                baseDirectory: repositoryRoot,
                reflected: ["a": schema, "b": schema]
            )
            .build()
        } catch {
            #expect(
                "\(error)".contains(
                    #"backends.b.reflection: service demo.user.v1.UserService is offered by backends "a" and "b""#
                ),
                "\(error)"
            )
        }
        let chosen = try GatewayConfig.parse(yaml: yaml + "\nservices: { demo.user.v1.UserService: b }")
        let snapshot = try SnapshotBuilder(
            config: chosen,
            baseDirectory: repositoryRoot,
            reflected: ["a": schema, "b": schema]
        ).build()
        #expect(snapshot.plans.allSatisfy { snapshot.backend(of: $0).name == "b" })
        #expect(!snapshot.plans.isEmpty)
    }

    /// Backends `a` and `b` on backends 0 and 1, both with reflection.
    static func twoReflectingBackends(_ ports: [Int]) -> String {
        config(
            port: ports[0],
            backends: """
                  a: { endpoints: [127.0.0.1:\(ports[0])], reflection: true }
                  b: { endpoints: [127.0.0.1:\(ports[1])], reflection: true }
                """
        )
    }

    /// At run time the second backend's schema is refused and `/readyz` says why.
    @Test func aRunningGatewayRefusesTheSecondOfferAndSaysSo() async throws {
        try await GatewayHarness.with(backends: 2, config: Self.twoReflectingBackends) { harness in
            let admin = try await harness.adminClient()
            #expect(
                try await eventually {
                    let text = try await admin.send(.GET, "/readyz").text
                    return text.contains("is offered by backends \\\"a\\\" and \\\"b\\\"")
                }
            )
            #expect(try await admin.send(.GET, "/readyz").status == 503)
            // The first schema serves meanwhile.
            #expect(harness.gateway.snapshot.reflected.keys.sorted().count == 1)
            let client = try await harness.client()
            #expect(try await client.send(.GET, "/v1/users/1").status == 200)
            await client.close()
            await admin.close()
        }
    }

    /// Every file of the demo catalog, serialized, by name.
    static func files(of catalog: DemoReflectionCatalog) throws -> [String: [UInt8]] {
        let set = try Google_Protobuf_FileDescriptorSet(serializedBytes: DemoReflectionCatalog.demoDescriptorSet)
        var files: [String: [UInt8]] = [:]
        for file in set.file { files[file.name] = try file.serializedBytes() }
        return files
    }

    @Test func reflectionSettingsAreValidated() throws {
        func problems(_ value: String) -> String {
            do {
                _ = try GatewayConfig.parse(
                    yaml: "listen: 127.0.0.1:0\nbackends:\n  demo: { endpoints: [127.0.0.1:1], reflection: \(value) }"
                )
                return ""
            } catch {
                return "\(error)"
            }
        }
        #expect(problems("true") == "")
        #expect(problems("{ refreshInterval: 1m }") == "")
        #expect(problems("maybe").contains("backends.demo.reflection"))
        #expect(
            problems("{ refreshInterval: 10ms }").contains(
                "backends.demo.reflection.refreshInterval (line 3:68): must be at least 100ms"
            )
        )
        #expect(problems("{ interval: 1m }").contains("backends.demo.reflection"))
        // No protos and no reflection: nothing to serve.
        #expect(problems("false").contains("protos"))
    }
}
