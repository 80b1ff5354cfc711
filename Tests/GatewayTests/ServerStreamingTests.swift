import Foundation
import Gateway
import NIOCore
import NIOHTTP1
import Routing
import Testing

/// Server streaming (the tutorial's download) in every response format.
@Suite("Server streaming end to end")
struct ServerStreamingTests {
    /// Parses NDJSON lines into objects.
    static func lines(_ response: TestResponse) throws -> [[String: Any]] {
        try response.text.split(separator: "\n").map {
            try JSONSerialization.jsonObject(with: Data($0.utf8)) as! [String: Any]
        }
    }

    @Test func ndjsonStreamsOneLinePerChunkAndReassembles() async throws {
        try await withGateway { harness in
            let bytes = (0..<2500).map { UInt8($0 % 251) }
            try Data(bytes).write(to: URL(fileURLWithPath: harness.filesDirectory + "/data.bin"))
            let client = try await harness.client()
            defer { Task { await client.close() } }
            let response = try await client.send(.GET, "/v1/files/data.bin:chunks")
            #expect(response.status == 200)
            #expect(response.headers.first(name: "content-type") == "application/x-ndjson")
            #expect(response.headers.first(name: "transfer-encoding") == "chunked")
            let lines = try Self.lines(response)
            #expect(lines.count == 3)
            var reassembled: [UInt8] = []
            for line in lines {
                #expect(line["name"] as? String == "data.bin")
                reassembled += Data(base64Encoded: line["content"] as? String ?? "") ?? Data()
            }
            #expect(reassembled == bytes)
        }
    }

    @Test func emptyAndOneMessageStreams() async throws {
        try await withGateway { harness in
            let client = try await harness.client()
            defer { Task { await client.close() } }
            let empty = try await client.send(.GET, "/v1/files/empty:chunks")
            #expect(empty.status == 200)
            #expect(empty.body.isEmpty)
            let emptyArray = try await client.send(
                .GET,
                "/v1/files/empty:chunks",
                headers: [("Accept", "application/json")]
            )
            #expect(emptyArray.text == "[]")
            let one = try await client.send(.GET, "/v1/files/zeros-10:chunks")
            #expect(try Self.lines(one).count == 1)
            let oneArray = try await client.send(
                .GET,
                "/v1/files/zeros-10:chunks",
                headers: [("Accept", "application/json")]
            )
            let array = try JSONSerialization.jsonObject(with: Data(oneArray.body)) as? [Any]
            #expect(array?.count == 1)
        }
    }

    @Test func serverSentEventsAndJSONArrayByAccept() async throws {
        try await withGateway { harness in
            let client = try await harness.client()
            defer { Task { await client.close() } }
            let sse = try await client.send(
                .GET,
                "/v1/files/zeros-2048:chunks",
                headers: [("Accept", "text/event-stream")]
            )
            #expect(sse.headers.first(name: "content-type") == "text/event-stream")
            let events = sse.text.components(separatedBy: "\n\n").filter { !$0.isEmpty }
            #expect(events.count == 2)
            #expect(events.allSatisfy { $0.hasPrefix("data: {") })
            let array = try await client.send(
                .GET,
                "/v1/files/zeros-3000:chunks",
                headers: [("Accept", "application/json")]
            )
            #expect(array.headers.first(name: "content-type") == "application/json")
            let elements = try JSONSerialization.jsonObject(with: Data(array.body)) as? [[String: Any]]
            #expect(elements?.count == 3)
        }
    }

    @Test func errorBeforeTheFirstMessageIsAPlainHTTPError() async throws {
        try await withGateway { harness in
            let client = try await harness.client()
            defer { Task { await client.close() } }
            let missing = try await client.send(.GET, "/v1/files/absent.bin:chunks")
            #expect(missing.status == 404)
            #expect(try missing.jsonObject()["code"] as? Int == 5)
            let failsAtOnce = try await client.send(.GET, "/v1/files/fail-after-0:chunks")
            #expect(failsAtOnce.status == 409)
            #expect(try failsAtOnce.jsonObject()["code"] as? Int == 10)
        }
    }

    @Test func midStreamErrorIsAFinalErrorElementInEveryFormat() async throws {
        try await withGateway { harness in
            let client = try await harness.client()
            defer { Task { await client.close() } }
            let ndjson = try await client.send(.GET, "/v1/files/fail-after-2:chunks")
            #expect(ndjson.status == 200)
            let lines = try Self.lines(ndjson)
            #expect(lines.count == 3)
            let error = lines.last?["error"] as? [String: Any]
            #expect(error?["code"] as? Int == 10)
            #expect((error?["message"] as? String)?.contains("failed after 2 chunks") == true)

            let sse = try await client.send(
                .GET,
                "/v1/files/fail-after-1:chunks",
                headers: [("Accept", "text/event-stream")]
            )
            #expect(sse.text.contains("event: error\ndata: {\"code\":10"))

            let array = try await client.send(
                .GET,
                "/v1/files/fail-after-1:chunks",
                headers: [("Accept", "application/json")]
            )
            let elements = try JSONSerialization.jsonObject(with: Data(array.body)) as? [[String: Any]]
            #expect(elements?.count == 2)
            #expect((elements?.last?["error"] as? [String: Any])?["code"] as? Int == 10)
        }
    }

    @Test func trailersCarryTheStatusWhenAskedFor() async throws {
        try await withGateway { harness in
            let client = try await harness.client()
            defer { Task { await client.close() } }
            let failed = try await client.send(.GET, "/v1/files/fail-after-1:chunks", headers: [("TE", "trailers")])
            #expect(failed.headers.first(name: "grpc-status") == "10")
            #expect(failed.headers.first(name: "grpc-message") == "failed after 1 chunks")
            let ok = try await client.send(.GET, "/v1/files/zeros-100:chunks", headers: [("TE", "trailers")])
            #expect(ok.headers.first(name: "grpc-status") == "0")
            let none = try await client.send(.GET, "/v1/files/zeros-100:chunks")
            #expect(none.headers.first(name: "grpc-status") == nil)
        }
    }

    @Test func resultEnvelopeWhenConfigured() async throws {
        try await withGateway(extraConfig: "streaming: { envelope: true }") { harness in
            let client = try await harness.client()
            defer { Task { await client.close() } }
            let response = try await client.send(.GET, "/v1/files/zeros-1500:chunks")
            let lines = try Self.lines(response)
            #expect(lines.count == 2)
            #expect(lines.allSatisfy { ($0["result"] as? [String: Any])?["name"] as? String == "zeros-1500" })
        }
    }

    @Test func rawContentTypeComesFromTheMethodSettings() async throws {
        let extra = """
            methods:
              demo.file.v1.FileService.DownLoad: { rawContentType: application/zip }
            """
        try await withGateway(extraConfig: extra) { harness in
            let client = try await harness.client()
            let response = try await client.send(.GET, "/v1/files/zeros-10")
            #expect(response.status == 200)
            #expect(response.headers.first(name: "content-type") == "application/zip")
            #expect(response.body == [UInt8](repeating: 0, count: 10))
            // An empty stream has the same type.
            let empty = try await client.send(.GET, "/v1/files/empty")
            #expect(empty.headers.first(name: "content-type") == "application/zip")
            await client.close()
        }
    }

    @Test func rawDownloadReassemblesTheFile() async throws {
        try await withGateway { harness in
            let bytes = (0..<70_000).map { UInt8(($0 * 7) % 256) }
            try Data(bytes).write(to: URL(fileURLWithPath: harness.filesDirectory + "/x.zip"))
            let client = try await harness.client()
            defer { Task { await client.close() } }
            let response = try await client.send(.GET, "/v1/files/x.zip")
            #expect(response.status == 200)
            #expect(response.headers.first(name: "content-type") == "application/octet-stream")
            #expect(response.body == bytes)
            let empty = try await client.send(.GET, "/v1/files/empty")
            #expect(empty.status == 200 && empty.body.isEmpty)
            let missing = try await client.send(.GET, "/v1/files/nope.zip")
            #expect(missing.status == 404)
        }
    }

    @Test func rawDownloadFailingMidwayIsNotAFinishedTransfer() async throws {
        try await withGateway { harness in
            let client = try await harness.client()
            await #expect(throws: (any Error).self) {
                _ = try await client.send(.GET, "/v1/files/fail-after-2")
            }
            await client.close()
        }
    }
}
