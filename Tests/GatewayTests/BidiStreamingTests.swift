import Foundation
import Gateway
import NIOCore
import NIOHTTP1
import Routing
import Testing

/// Bidirectional streaming (the tutorial's chat), full duplex over HTTP/1.1.
@Suite("Bidirectional streaming end to end")
struct BidiStreamingTests {
    /// Reads events until one complete NDJSON line is available.
    static func nextLine(_ iterator: inout AsyncStream<ResponseEvent>.Iterator, buffer: inout [UInt8]) async -> String?
    {
        while true {
            if let newline = buffer.firstIndex(of: UInt8(ascii: "\n")) {
                let line = String(decoding: buffer[..<newline], as: UTF8.self)
                buffer.removeSubrange(...newline)
                return line
            }
            switch await iterator.next() {
            case .body(let bytes): buffer += bytes
            case .head: continue
            case .end, .closed, nil: return nil
            }
        }
    }

    @Test func firstReplyArrivesBeforeTheSecondMessageIsSent() async throws {
        try await withGateway { harness in
            let client = try await StreamingTestClient.start(port: harness.gatewayPort, method: .POST, uri: "/v1/chat")
            var iterator = client.events.makeAsyncIterator()
            var buffer: [UInt8] = []
            try await client.send("{\"message\":\"hello\"}\n")
            let first = await Self.nextLine(&iterator, buffer: &buffer)
            #expect(first == #"{"message":"you said: hello"}"#)
            // Only now does the client send its second message.
            try await client.send("{\"message\":\"sec")
            try await client.send("ond\"}\n")
            let second = await Self.nextLine(&iterator, buffer: &buffer)
            #expect(second == #"{"message":"you said: second"}"#)
            try await client.end()
            #expect(await Self.nextLine(&iterator, buffer: &buffer) == nil)
            await client.close()
        }
    }

    @Test func chatAsSSEWithEveryMessageInOneBody() async throws {
        try await withGateway { harness in
            let response = try await ClientStreamingTests.upload(
                harness,
                uri: "/v1/chat",
                chunks: [Array("{\"message\":\"a\"}{\"message\":\"b\"}".utf8)],
                headers: [("Accept", "text/event-stream")]
            )
            #expect(response.status == 200)
            #expect(response.text == "data: {\"message\":\"you said: a\"}\n\ndata: {\"message\":\"you said: b\"}\n\n")
        }
    }

    @Test func emptyChatIsAnEmptyStream() async throws {
        try await withGateway { harness in
            let response = try await ClientStreamingTests.upload(harness, uri: "/v1/chat", chunks: [])
            #expect(response.status == 200)
            #expect(response.body.isEmpty)
        }
    }
}
