import DemoServices
import Foundation
import Gateway
import Logging
import NIOCore
import NIOHTTP1
import NIOPosix
import Routing
import Testing

/// Dead and restarted backends, and connection reuse under load.
@Suite("Backends going away and coming back; load")
struct BackendLifecycleTests {
    @Test func stoppedBackendIsA503AndARestartedOneServesAgain() async throws {
        let files = NSTemporaryDirectory() + "portico-restart-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: files, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: files) }
        let first = try await DemoBackendServer.start(DemoBackendOptions(host: "127.0.0.1", port: 0, filesDirectory: files))
        let port = first.port
        let snapshot = try GatewaySnapshot(
            config: try GatewayConfig.parse(yaml: demoConfigYAML(backendPort: port)),
            baseDirectory: repositoryRoot
        )
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        var logger = Logger(label: "test")
        logger.logLevel = .critical
        let gateway = GatewayServer(snapshot: snapshot, group: group, logger: logger)
        let address = try await gateway.start()
        let client = try await TestHTTPClient.connect(port: address.port!)

        #expect(try await client.send(.GET, "/v1/users/1").status == 200)
        await first.stop()
        let down = try await client.send(.GET, "/v1/users/1")
        #expect(down.status == 503)
        #expect(try down.jsonObject()["code"] as? Int == 14)

        let second = try await DemoBackendServer.start(DemoBackendOptions(host: "127.0.0.1", port: port, filesDirectory: files))
        let back = try await client.send(.GET, "/v1/users/1")
        #expect(back.status == 200, "\(back.text)")

        await client.close()
        await gateway.stop()
        await second.stop()
        try await group.shutdownGracefully()
    }

    @Test func backendKilledDuringACallWithAUnaryResponseIsAPromptJSONError() async throws {
        try await withGateway { harness in
            // A client-streaming upload (one JSON response) that the backend takes slowly: 100
            // messages at 50 ms each would need 5 s; the backend goes away after 300 ms.
            let client = try await StreamingTestClient.start(port: harness.gatewayPort, method: .POST, uri: "/v1/uploads")
            for index in 0..<100 {
                try await client.send(#"{"name":"slow-killed.bin","content":"\#(Data("chunk \(index)".utf8).base64EncodedString())"}"# + "\n")
            }
            try await client.end()
            try await Task.sleep(for: .milliseconds(300))
            let start = ContinuousClock.now
            await harness.backend.stop()
            let response = await client.collect()
            await client.close()
            #expect(ContinuousClock.now - start < .seconds(3))
            #expect([499, 503].contains(response.status), "\(response.status) \(response.text)")
            let code = try response.jsonObject()["code"] as? Int
            #expect([1, 14].contains(code ?? -1), "\(response.text)")
        }
    }

    @Test func twoThousandRequestsOverAHundredKeepAliveConnections() async throws {
        try await withGateway(eventLoops: 2) { harness in
            let connections = 100
            let perConnection = 20
            let failures = try await withThrowingTaskGroup(of: Int.self) { group in
                for c in 0..<connections {
                    group.addTask {
                        let client = try await harness.client()
                        var failures = 0
                        for i in 0..<perConnection {
                            let id = (c + i) % 3 + 1
                            let response = try await client.send(.GET, "/v1/users/\(id)")
                            if response.status != 200 || (try? response.jsonObject()["id"] as? Int) != id { failures += 1 }
                        }
                        await client.close()
                        return failures
                    }
                }
                return try await group.reduce(0, +)
            }
            #expect(failures == 0)
            let counts = try await harness.gateway.upstreamConnectionCounts()
            #expect(counts.count == 2)
            #expect(counts.allSatisfy { $0 <= 1 }, "upstream connections per loop: \(counts)")
            #expect(counts.reduce(0, +) >= 1)
        }
    }
}
