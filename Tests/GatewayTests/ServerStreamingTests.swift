import Foundation
import Gateway
import NIOCore
import NIOHTTP1
import Routing
import Testing

/// Server streaming as NDJSON (the full streaming contract is the next issue; this covers the
/// line-per-message basics and errors before the first message).
@Suite("Server streaming basics")
struct ServerStreamingTests {
    @Test func downloadStreamsOneLinePerChunk() async throws {
        try await withGateway { harness in
            let bytes = (0..<2500).map { UInt8($0 % 251) }
            try Data(bytes).write(to: URL(fileURLWithPath: harness.filesDirectory + "/data.bin"))
            let client = try await harness.client()
            defer { Task { await client.close() } }
            let response = try await client.send(.GET, "/v1/files/data.bin:chunks")
            #expect(response.status == 200)
            #expect(response.headers.first(name: "content-type") == "application/x-ndjson")
            let lines = response.text.split(separator: "\n")
            #expect(lines.count == 3)
            var reassembled: [UInt8] = []
            for line in lines {
                let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]
                #expect(object?["name"] as? String == "data.bin")
                reassembled += Data(base64Encoded: object?["content"] as? String ?? "") ?? Data()
            }
            #expect(reassembled == bytes)
        }
    }

    @Test func missingFileIsA404BeforeAnyLine() async throws {
        try await withGateway { harness in
            let client = try await harness.client()
            defer { Task { await client.close() } }
            let response = try await client.send(.GET, "/v1/files/absent.bin:chunks")
            #expect(response.status == 404)
            #expect(try response.jsonObject()["code"] as? Int == 5)
        }
    }
}
