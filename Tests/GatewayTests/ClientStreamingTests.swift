import Foundation
import Gateway
import NIOCore
import NIOHTTP1
import Routing
import Testing

/// Client streaming (the tutorial's upload): a body of JSON values, or raw bytes.
@Suite("Client streaming end to end")
struct ClientStreamingTests {
    static func base64(_ text: String) -> String { Data(text.utf8).base64EncodedString() }

    static let ndjsonBody =
        "{\"name\":\"up.txt\",\"content\":\"\(base64("hello, "))\"}\n"
        + "{\"content\":\"\(base64("brave {new} \\\"world\\\""))\"}\n"
        + "  {\"content\":\"\(base64("!"))\"}"

    static let expected = "hello, brave {new} \\\"world\\\"!"

    /// Uploads `chunks` as a chunked body and returns the response.
    static func upload(
        _ harness: GatewayHarness,
        uri: String,
        chunks: [[UInt8]],
        headers: [(String, String)] = []
    ) async throws -> TestResponse {
        let client = try await StreamingTestClient.start(
            port: harness.gatewayPort,
            method: .POST,
            uri: uri,
            headers: headers
        )
        // The gateway may answer (and close) before the body ends, e.g. on a malformed value:
        // later writes then fail, and the response is still there to read.
        for chunk in chunks { try? await client.send(chunk) }
        try? await client.end()
        let response = await client.collect()
        await client.close()
        return response
    }

    func stored(_ harness: GatewayHarness, _ name: String) -> String? {
        FileManager.default.contents(atPath: harness.filesDirectory + "/" + name).map {
            String(decoding: $0, as: UTF8.self)
        }
    }

    @Test func ndjsonConcatenatedAndArrayBodiesUpload() async throws {
        try await withGateway { harness in
            for body in [
                Self.ndjsonBody,
                Self.ndjsonBody.replacingOccurrences(of: "\n", with: ""),
                "[" + Self.ndjsonBody.replacingOccurrences(of: "\n", with: ",") + "]",
            ] {
                let response = try await Self.upload(harness, uri: "/v1/uploads", chunks: [Array(body.utf8)])
                #expect(response.status == 200, "\(response.text)")
                #expect(try response.jsonObject()["state"] as? String == "success")
                #expect(stored(harness, "up.txt") == Self.expected)
                try FileManager.default.removeItem(atPath: harness.filesDirectory + "/up.txt")
            }
        }
    }

    @Test func bodySplitAtEveryChunkBoundaryUploadsTheSame() async throws {
        try await withGateway { harness in
            let body = Array(Self.ndjsonBody.utf8)
            let byteByByte = try await Self.upload(harness, uri: "/v1/uploads", chunks: body.map { [$0] })
            #expect(byteByByte.status == 200)
            #expect(stored(harness, "up.txt") == Self.expected)
            for cut in 1..<body.count {
                try? FileManager.default.removeItem(atPath: harness.filesDirectory + "/up.txt")
                let response = try await Self.upload(
                    harness,
                    uri: "/v1/uploads",
                    chunks: [Array(body[..<cut]), Array(body[cut...])]
                )
                #expect(response.status == 200, "cut at \(cut): \(response.text)")
                #expect(stored(harness, "up.txt") == Self.expected, "cut at \(cut)")
            }
        }
    }

    @Test func emptyStreamAndBadValues() async throws {
        try await withGateway { harness in
            let empty = try await Self.upload(harness, uri: "/v1/uploads", chunks: [])
            #expect(empty.status == 400)  // the demo needs a name: INVALID_ARGUMENT
            let malformed = try await Self.upload(
                harness,
                uri: "/v1/uploads",
                chunks: [Array("{\"name\":\"a\"} {oops".utf8)]
            )
            #expect(malformed.status == 400)
            #expect(try malformed.jsonObject()["code"] as? Int == 3)
            let unknown = try await Self.upload(
                harness,
                uri: "/v1/uploads",
                chunks: [Array("{\"name\":\"a\",\"extra\":1}".utf8)]
            )
            #expect(unknown.status == 400)
            #expect((try unknown.jsonObject()["message"] as? String)?.contains("extra") == true)
        }
    }

    @Test func rawUploadStoresTheBytes() async throws {
        try await withGateway { harness in
            let bytes = (0..<300_000).map { UInt8(($0 * 13) % 256) }
            let client = try await StreamingTestClient.start(
                port: harness.gatewayPort,
                method: .PUT,
                uri: "/v1/files/big.bin"
            )
            var offset = 0
            while offset < bytes.count {
                let end = min(offset + 16_384, bytes.count)
                try await client.send(Array(bytes[offset..<end]))
                offset = end
            }
            try await client.end()
            let response = await client.collect()
            await client.close()
            #expect(response.status == 200, "\(response.text)")
            #expect(try response.jsonObject()["state"] as? String == "success")
            let stored = FileManager.default.contents(atPath: harness.filesDirectory + "/big.bin")
            #expect(stored.map { [UInt8]($0) } == bytes)
        }
    }

    @Test func rawUploadWithContentLengthAndAnEmptyFile() async throws {
        try await withGateway { harness in
            let client = try await harness.client()
            defer { Task { await client.close() } }
            let small = try await client.send(.PUT, "/v1/files/small.txt", bodyBytes: Array("tiny".utf8))
            #expect(small.status == 200)
            #expect(stored(harness, "small.txt") == "tiny")
            let empty = try await client.send(.PUT, "/v1/files/empty.txt", bodyBytes: [])
            #expect(empty.status == 200, "\(empty.text)")
            #expect(stored(harness, "empty.txt") == "")
        }
    }
}
