import Foundation
import Gateway
import NIOCore
import NIOHTTP1
import Testing

/// `limits.idleTimeout` and `limits.requestReadTimeout`: slow or silent clients are dropped,
/// busy connections are not.
@Suite("HTTP idle and request-read timeouts")
struct HTTPTimeoutTests {
    static let limits = "limits: { idleTimeout: 400ms, requestReadTimeout: 400ms }"

    /// Waits until `client` is closed by the server, up to `limit`; returns how long it took.
    static func closing(_ client: RawTCPClient, within limit: Duration) async throws -> Duration? {
        let start = ContinuousClock.now
        while ContinuousClock.now - start < limit {
            if client.isClosed { return ContinuousClock.now - start }
            try await Task.sleep(for: .milliseconds(20))
        }
        return nil
    }

    @Test func aHeadDribbledByteByByteIsDropped() async throws {
        try await withGateway(extraConfig: Self.limits) { harness in
            let client = try await RawTCPClient.connect(port: harness.gatewayPort)
            try await client.send("GET /v1/users/1 HTTP/1.1\r\nHost: x\r\n")
            let start = ContinuousClock.now
            // Slowloris: one header byte every 100 ms, never finishing the head.
            for byte in "X-Slow: aaaaaaaaaaaaaaaaaaaaaaaaaaaaa".utf8 where !client.isClosed {
                try? await client.send(String(UnicodeScalar(byte)))
                try await Task.sleep(for: .milliseconds(100))
            }
            let elapsed = ContinuousClock.now - start
            #expect(client.isClosed)
            #expect(elapsed < .seconds(2), "\(elapsed)")
            #expect(client.text.isEmpty)
        }
    }

    @Test func aBodyThatStopsShortIsA408AndTheConnectionCloses() async throws {
        try await withGateway(extraConfig: Self.limits) { harness in
            let client = try await RawTCPClient.connect(port: harness.gatewayPort)
            try await client.send(
                "POST /v1/echo HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"fString\":"
            )
            let elapsed = try await Self.closing(client, within: .seconds(3))
            #expect(elapsed != nil)
            #expect(client.text.hasPrefix("HTTP/1.1 408"), "\(client.text)")
            #expect(client.text.contains(#""code":4"#))
        }
    }

    /// The request-read clock starts with the head: a stalled body on a fresh connection gets its
    /// 408 after `requestReadTimeout`, not at the idle deadline that was pending when the head
    /// came (it did until the soak found it: 60 s instead of 30 s with the defaults).
    @Test func aStalledBodyIsA408AtTheReadTimeoutNotAtTheIdleDeadline() async throws {
        try await withGateway(extraConfig: "limits: { idleTimeout: 5s, requestReadTimeout: 300ms }") { harness in
            let client = try await RawTCPClient.connect(port: harness.gatewayPort)
            try await client.send(
                "POST /v1/echo HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"fString\":"
            )
            let elapsed = try await Self.closing(client, within: .seconds(4))
            #expect(elapsed != nil, "no 408 within 4 s: it waits for the idle deadline")
            if let elapsed { #expect(elapsed < .seconds(2), "\(elapsed)") }
            #expect(client.text.hasPrefix("HTTP/1.1 408"), "\(client.text)")
        }
    }

    @Test func anIdleKeepAliveConnectionIsClosedButABusyOneIsNot() async throws {
        try await withGateway(extraConfig: Self.limits) { harness in
            let idle = try await RawTCPClient.connect(port: harness.gatewayPort)
            try await idle.send("GET /v1/users/1 HTTP/1.1\r\nHost: x\r\n\r\n")
            let closedAfter = try await Self.closing(idle, within: .seconds(3))
            #expect(closedAfter != nil)
            #expect(idle.text.hasPrefix("HTTP/1.1 200"))
            // A chat open longer than both timeouts keeps its connection and keeps answering.
            let chat = try await StreamingTestClient.start(port: harness.gatewayPort, method: .POST, uri: "/v1/chat")
            try await chat.send("{\"message\":\"one\"}\n")
            try await Task.sleep(for: .milliseconds(1_000))
            try await chat.send("{\"message\":\"two\"}\n")
            try await chat.end()
            let response = await chat.collect()
            #expect(response.status == 200)
            #expect(response.text.contains("two"), "\(response.text)")
        }
    }
}
