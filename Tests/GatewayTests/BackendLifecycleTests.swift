import DemoServices
import Foundation
import Gateway
import NIOCore
import NIOHTTP1
import Routing
import Testing

/// Dead and restarted backends, and connection reuse under load.
@Suite("Backends going away and coming back; load")
struct BackendLifecycleTests {
    @Test func stoppedBackendIsA503AndARestartedOneServesAgain() async throws {
        try await withGateway(eventLoops: 1) { harness in
            let client = try await harness.client()

            #expect(try await client.send(.GET, "/v1/users/1").status == 200)
            await harness.stop(0)
            let down = try await client.send(.GET, "/v1/users/1")
            #expect(down.status == 503)
            #expect(try down.jsonObject()["code"] as? Int == 14)

            try await harness.restart(0)
            let back = try await client.send(.GET, "/v1/users/1")
            #expect(back.status == 200, "\(back.text)")

            await client.close()
        }
    }

    @Test func backendKilledDuringACallWithAUnaryResponseIsAPromptJSONError() async throws {
        try await withGateway { harness in
            // A client-streaming upload (one JSON response) that the backend takes slowly: 100
            // messages at 50 ms each would need 5 s; the backend goes away once it has taken the first.
            let client = try await StreamingTestClient.start(
                port: harness.gatewayPort,
                method: .POST,
                uri: "/v1/uploads"
            )
            for index in 0..<100 {
                try await client.send(
                    #"{"name":"slow-killed.bin","content":"\#(Data("chunk \(index)".utf8).base64EncodedString())"}"#
                        + "\n"
                )
            }
            try await client.end()
            let deadline = ContinuousClock.now + .seconds(5)
            while harness.observer.progress(method: "UpLoad") == 0, ContinuousClock.now < deadline {
                try await Task.sleep(for: .milliseconds(10))
            }
            #expect(harness.observer.progress(method: "UpLoad") > 0)
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
                            if response.status != 200 || (try? response.jsonObject()["id"] as? Int) != id {
                                failures += 1
                            }
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
