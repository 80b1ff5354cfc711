import DemoServices
import Foundation
import Gateway
import NIOCore
import NIOHTTP1
import Testing

/// Upstream connection liveness: keepalive PINGs notice a backend that went silent, and idle
/// connections are reaped, while busy ones are left alone.
@Suite("Upstream keepalive and idle reaping")
struct ConnectionLifecycleTests {
    @Test func anUnansweredKeepalivePingDropsTheConnectionBeforeTheDeadline() async throws {
        let silent = try await MisbehavingBackend.start(.silent)
        defer { Task { await silent.stop() } }
        let backends = """
            backends:
              demo:
                endpoints: [127.0.0.1:PORT]
              bad:
                endpoints: [127.0.0.1:\(silent.port)]
                timeout: 10s
                keepalive: { interval: 200ms, timeout: 200ms }
            services:
              demo.user.v1.*: demo
              demo.echo.v1.*: bad
            """
        try await withGateway(replacingBackends: backends) { harness in
            let client = try await harness.client()
            defer { Task { await client.close() } }
            let start = ContinuousClock.now
            let response = try await client.send(.GET, "/v1/echo?fString=a")
            let elapsed = ContinuousClock.now - start
            #expect(response.status == 503, "\(response.text)")
            #expect(
                (try response.jsonObject()["message"] as? String)?.contains("keepalive") == true,
                "\(response.text)"
            )
            #expect(elapsed < .seconds(2), "\(elapsed)")
        }
    }

    @Test func idleConnectionsAreReapedButBusyOnesAreNot() async throws {
        let backends = """
            backends:
              demo:
                endpoints: [127.0.0.1:PORT]
                idleTimeout: 300ms
            """
        try await withGateway(replacingBackends: backends, eventLoops: 1) { harness in
            let client = try await harness.client()
            defer { Task { await client.close() } }
            #expect(try await client.send(.GET, "/v1/users/1").status == 200)
            #expect(try await harness.gateway.upstreamConnectionCounts() == [1])
            try await Task.sleep(for: .milliseconds(700))
            #expect(try await client.send(.GET, "/v1/users/1").status == 200)
            #expect(
                try await harness.gateway.upstreamConnectionCounts() == [2],
                "the idle connection was closed and a new one opened"
            )
            // A chat open longer than the idle timeout keeps its connection.
            let chat = try await StreamingTestClient.start(port: harness.gatewayPort, method: .POST, uri: "/v1/chat")
            try await chat.send("{\"message\":\"one\"}\n")
            try await Task.sleep(for: .milliseconds(700))
            try await chat.send("{\"message\":\"two\"}\n")
            try await chat.end()
            let response = await chat.collect()
            #expect(response.status == 200)
            #expect(response.text.contains("two"), "\(response.text)")
            #expect(try await harness.gateway.upstreamConnectionCounts() == [2], "the chat kept its connection")
        }
    }
}
