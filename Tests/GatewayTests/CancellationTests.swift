import DemoServices
import Foundation
import Gateway
import NIOCore
import NIOHTTP1
import Routing
import Testing

/// Clients and backends that go away in the middle of a stream.
@Suite("Cancellation end to end")
struct CancellationTests {
    @Test func clientDisconnectCancelsTheBackendPromptly() async throws {
        try await withGateway { harness in
            let client = try await StreamingTestClient.start(
                port: harness.gatewayPort,
                method: .GET,
                uri: "/v1/files/zeros-1000000000",
                chunkedBody: false
            )
            try await client.end()
            var received = 0
            for await event in client.events {
                if case .body(let bytes) = event { received += bytes.count }
                if received >= 100_000 { break }
            }
            #expect(received >= 100_000)
            // Like a user hitting Ctrl-C on a download that had stalled: stop reading until the
            // gateway's backpressure has paused the stream, then close.
            try await client.stopReading()
            try await Task.sleep(for: .milliseconds(1500))
            let closedAt = ContinuousClock.now
            await client.close()
            let cancellation = await harness.observer.waitForCancellation(method: "DownLoad", timeout: .seconds(5))
            let seen = try #require(cancellation)
            let delay = seen.at - closedAt
            // Issue 3 targets 100 ms. In debug builds on the 2-core machine, with the grpc-swift
            // backend in this same process, we measured 60–160 ms from socket close to the
            // backend's cancellation handler (the gateway itself sees the close within ~5 ms and
            // resets the stream on the next tick). This bound catches a missing or timer-driven
            // cancel without flaking; the 100 ms figure is still open in issue 3.
            #expect(delay < .milliseconds(500), "backend saw the cancellation after \(delay)")
            // The gateway keeps serving.
            let next = try await harness.client()
            #expect(try await next.send(.GET, "/v1/users/1").status == 200)
            await next.close()
        }
    }

    @Test func backendDisconnectMidStreamEndsWithTheErrorLine() async throws {
        try await withGateway { harness in
            let client = try await StreamingTestClient.start(
                port: harness.gatewayPort,
                method: .GET,
                uri: "/v1/files/zeros-1000000000:chunks",
                chunkedBody: false
            )
            try await client.end()
            var text: [UInt8] = []
            var stopped = false
            for await event in client.events {
                switch event {
                case .body(let bytes):
                    text += bytes
                    if !stopped, text.count > 50_000 {
                        stopped = true
                        await harness.backend.stop()
                    }
                case .end, .closed:
                    break
                case .head:
                    continue
                }
                if case .end = event { break }
                if case .closed = event { break }
            }
            let lastLine = String(decoding: text, as: UTF8.self).split(separator: "\n").last.map(String.init) ?? ""
            let object = try JSONSerialization.jsonObject(with: Data(lastLine.utf8)) as? [String: Any]
            let error = object?["error"] as? [String: Any]
            #expect(error != nil, "last line: \(lastLine.prefix(200))")
            #expect([1, 14].contains(error?["code"] as? Int ?? -1))
            await client.close()
        }
    }
}
