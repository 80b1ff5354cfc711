import DemoServices
import Foundation
import Gateway
import NIOCore
import NIOHTTP1
import Testing

/// WebSocket sessions on streaming routes: one frame per message each way, the final status in
/// the close frame, against the real demo backend.
@Suite("WebSocket sessions end to end")
struct WebSocketTests {
    /// The next event that is not a pong.
    static func next(_ iterator: inout AsyncStream<WebSocketEvent>.Iterator) async -> WebSocketEvent? {
        while let event = await iterator.next() {
            if case .pong = event { continue }
            return event
        }
        return nil
    }

    /// The next event, which must be a close frame.
    static func nextClose(_ iterator: inout AsyncStream<WebSocketEvent>.Iterator) async -> (code: Int, reason: String)?
    {
        let event = await next(&iterator)
        guard case .close(let code, let reason) = event else {
            Issue.record("expected a close frame, got \(String(describing: event))")
            return nil
        }
        return (code, reason)
    }

    /// Every event until the connection closes.
    static func rest(_ iterator: inout AsyncStream<WebSocketEvent>.Iterator) async -> [WebSocketEvent] {
        var events: [WebSocketEvent] = []
        while let event = await next(&iterator) { events.append(event) }
        return events
    }

    @Test func chatRepliesToEachFrameBeforeTheNextIsSent() async throws {
        try await withGateway { harness in
            let session = try await WebSocketTestClient.connect(port: harness.gatewayPort, path: "/v1/chat")
            var events = session.events.makeAsyncIterator()
            try await session.send(text: #"{"message":"hello"}"#)
            #expect(await Self.next(&events) == .text(#"{"message":"you said: hello"}"#))
            // Only now does the client send its second message.
            try await session.send(text: #"{"message":"second"}"#)
            #expect(await Self.next(&events) == .text(#"{"message":"you said: second"}"#))
            try await session.sendClose()
            #expect(await Self.rest(&events) == [.close(code: 1000, reason: ""), .closed])
        }
    }

    @Test func anEmptyTextFrameEndsTheClientStream() async throws {
        try await withGateway { harness in
            let session = try await WebSocketTestClient.connect(port: harness.gatewayPort, path: "/v1/chat")
            var events = session.events.makeAsyncIterator()
            try await session.send(text: #"{"message":"a"}"#)
            try await session.send(text: "")
            #expect(await Self.next(&events) == .text(#"{"message":"you said: a"}"#))
            #expect(await Self.next(&events) == .close(code: 1000, reason: ""))
            await session.close()
        }
    }

    @Test func rawDownloadArrivesAsBinaryFrames() async throws {
        try await withGateway { harness in
            let session = try await WebSocketTestClient.connect(port: harness.gatewayPort, path: "/v1/files/zeros-3000")
            var events = session.events.makeAsyncIterator()
            #expect(
                await Self.rest(&events) == [
                    .binary([UInt8](repeating: 0, count: 1024)),
                    .binary([UInt8](repeating: 0, count: 1024)),
                    .binary([UInt8](repeating: 0, count: 952)),
                    .close(code: 1000, reason: ""),
                    .closed,
                ]
            )
        }
    }

    @Test func jsonDownloadArrivesAsOneTextFramePerMessage() async throws {
        try await withGateway { harness in
            let session = try await WebSocketTestClient.connect(
                port: harness.gatewayPort,
                path: "/v1/files/zeros-1500:chunks"
            )
            var events = session.events.makeAsyncIterator()
            let first = Data(count: 1024).base64EncodedString()
            let second = Data(count: 476).base64EncodedString()
            #expect(
                await Self.rest(&events) == [
                    .text(#"{"name":"zeros-1500","content":"\#(first)"}"#),
                    .text(#"{"name":"zeros-1500","content":"\#(second)"}"#),
                    .close(code: 1000, reason: ""),
                    .closed,
                ]
            )
        }
    }

    @Test func uploadWithMethodOverrideStoresTheFile() async throws {
        try await withGateway { harness in
            let session = try await WebSocketTestClient.connect(
                port: harness.gatewayPort,
                path: "/v1/files/ws-upload.txt",
                headers: [("X-HTTP-Method-Override", "PUT")]
            )
            var events = session.events.makeAsyncIterator()
            try await session.send(binary: Array("hello ".utf8))
            try await session.send(binary: Array("world".utf8))
            try await session.sendClose()
            #expect(await Self.next(&events) == .text(#"{"state":"success"}"#))
            #expect(await Self.next(&events) == .close(code: 1000, reason: ""))
            let stored = try String(contentsOfFile: harness.filesDirectory + "/ws-upload.txt", encoding: .utf8)
            #expect(stored == "hello world")
        }
    }

    @Test func backendErrorMidStreamClosesWithItsStatus() async throws {
        try await withGateway { harness in
            let session = try await WebSocketTestClient.connect(
                port: harness.gatewayPort,
                path: "/v1/files/fail-after-2:chunks"
            )
            var events = session.events.makeAsyncIterator()
            let all = await Self.rest(&events)
            #expect(all.count == 4)
            #expect(all.suffix(2) == [.close(code: 4010, reason: "failed after 2 chunks"), .closed])
        }
    }

    @Test func missingFileClosesWithNotFound() async throws {
        try await withGateway { harness in
            let session = try await WebSocketTestClient.connect(
                port: harness.gatewayPort,
                path: "/v1/files/no-such-file"
            )
            var events = session.events.makeAsyncIterator()
            guard let (code, reason) = await Self.nextClose(&events) else { return }
            #expect(code == 4005)
            #expect(reason.contains("no-such-file"))
        }
    }

    @Test func malformedJSONFrameClosesWithInvalidArgumentAndTheGatewayKeepsServing() async throws {
        try await withGateway { harness in
            let session = try await WebSocketTestClient.connect(port: harness.gatewayPort, path: "/v1/chat")
            var events = session.events.makeAsyncIterator()
            try await session.send(text: #"{"message": nope}"#)
            guard let (code, reason) = await Self.nextClose(&events) else { return }
            #expect(code == 4003)
            #expect(reason.hasPrefix("message 1: "))
            let client = try await harness.client()
            #expect(try await client.send(.GET, "/v1/users/1").status == 200)
            await client.close()
        }
    }

    @Test func unknownFieldInAFrameNamesTheField() async throws {
        try await withGateway { harness in
            let session = try await WebSocketTestClient.connect(port: harness.gatewayPort, path: "/v1/chat")
            var events = session.events.makeAsyncIterator()
            try await session.send(text: #"{"message":"ok"}"#)
            #expect(await Self.next(&events) == .text(#"{"message":"you said: ok"}"#))
            try await session.send(text: #"{"mesage":"typo"}"#)
            guard let (code, reason) = await Self.nextClose(&events) else { return }
            #expect(code == 4003)
            #expect(reason.contains("mesage"))
        }
    }

    @Test func pingIsAnsweredWithPong() async throws {
        try await withGateway { harness in
            let session = try await WebSocketTestClient.connect(port: harness.gatewayPort, path: "/v1/chat")
            var events = session.events.makeAsyncIterator()
            try await session.ping([1, 2, 3])
            #expect(await events.next() == .pong([1, 2, 3]))
            await session.close()
        }
    }

    @Test func upgradeOnAUnaryRouteIsRefusedWithJSON() async throws {
        try await withGateway { harness in
            let client = try await harness.client()
            let handshake = [
                ("Connection", "Upgrade"), ("Upgrade", "websocket"),
                ("Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ=="), ("Sec-WebSocket-Version", "13"),
            ]
            let unary = try await client.send(.GET, "/v1/users/1", headers: handshake)
            #expect(unary.status == 400)
            #expect(
                try unary.jsonObject()["message"] as? String
                    == "WebSocket sessions need a streaming method; demo.user.v1.UserService.GetUser is unary (call it with plain HTTP)"
            )
            await client.close()
            let other = try await harness.client()
            let unknown = try await other.send(.GET, "/v1/nowhere", headers: handshake)
            #expect(unknown.status == 404)
            await other.close()
        }
    }

    @Test func handshakeWithoutAKeyIsRefusedWithJSON() async throws {
        try await withGateway { harness in
            let client = try await harness.client()
            let response = try await client.send(
                .GET,
                "/v1/chat",
                headers: [("Connection", "Upgrade"), ("Upgrade", "websocket"), ("Sec-WebSocket-Version", "13")]
            )
            #expect(response.status == 400)
            #expect((try response.jsonObject()["message"] as? String)?.hasPrefix("invalid WebSocket handshake") == true)
            await client.close()
        }
    }

    @Test func clientVanishingMidDownloadCancelsTheBackendCall() async throws {
        try await withGateway(throughRelay: true) { harness in
            let relay = try #require(harness.relay)
            let session = try await WebSocketTestClient.connect(
                port: harness.gatewayPort,
                path: "/v1/files/zeros-1000000000"
            )
            var events = session.events.makeAsyncIterator()
            var received = 0
            while received < 100_000, case .binary(let bytes) = await Self.next(&events) { received += bytes.count }
            #expect(received >= 100_000)
            // As in the HTTP test: the client stalls (backpressure pauses the stream), then leaves.
            try await session.stopReading()
            try await Task.sleep(for: .milliseconds(1500))
            let closedAt = ContinuousClock.now
            await session.close()
            let reset = try #require(await relay.waitForReset(timeout: .seconds(5)))
            #expect(reset.payload == [0, 0, 0, 8])
            #expect(
                reset.at - closedAt < .milliseconds(100),
                "RST_STREAM reached the backend after \(reset.at - closedAt)"
            )
            let cancellation = await harness.observer.waitForCancellation(method: "DownLoad", timeout: .seconds(5))
            #expect(cancellation != nil)
        }
    }
}
