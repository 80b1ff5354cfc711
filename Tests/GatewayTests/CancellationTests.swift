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
        try await withGateway(throughRelay: true) { harness in
            let relay = try #require(harness.relay)
            let client = try await StreamingTestClient.get(port: harness.gatewayPort, uri: "/v1/files/zeros-1000000000")
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
            #expect(relay.recorded.allSatisfy { $0.type != HTTP2SniffingRelay.resetStreamType })
            let closedAt = ContinuousClock.now
            await client.close()
            // On the backend's wire: RST_STREAM with CANCEL (0x8) for the download's stream.
            let reset = try #require(await relay.waitForReset(timeout: .seconds(5)))
            #expect(reset.payload == [0, 0, 0, 8])
            #expect(
                reset.at - closedAt < .milliseconds(100),
                "RST_STREAM reached the backend after \(reset.at - closedAt)"
            )
            // And the backend's RPC handler is told. How long grpc-swift takes to get from the
            // frame to the handler is the backend's business (tens of ms in a debug build).
            let cancellation = await harness.observer.waitForCancellation(method: "DownLoad", timeout: .seconds(5))
            #expect(cancellation != nil)
            // The gateway keeps serving.
            let next = try await harness.client()
            #expect(try await next.send(.GET, "/v1/users/1").status == 200)
            await next.close()
        }
    }

    @Test func backendDisconnectMidStreamEndsWithTheErrorLine() async throws {
        try await withGateway { harness in
            let client = try await StreamingTestClient.get(
                port: harness.gatewayPort,
                uri: "/v1/files/zeros-1000000000:chunks"
            )
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
