import Foundation
import Gateway
import NIOCore
import NIOHTTP1
import Testing
import Upstream

/// gzip both ways: `Accept-Encoding: gzip` on the HTTP side, `grpc-encoding: gzip` towards the
/// real demo backend (which answers a gzip request in gzip).
@Suite("Compression")
struct CompressionTests {
    static let bigLabel = String(repeating: "portico compresses JSON ", count: 200)

    @Test func jsonResponsesAreGzippedForClientsThatAcceptIt() async throws {
        try await withGateway { harness in
            let client = try await harness.client()
            defer { Task { await client.close() } }
            let body = #"{"fString":"\#(Self.bigLabel)"}"#
            let gzipped = try await client.send(
                .POST,
                "/v1/echo",
                headers: [("Accept-Encoding", "br, gzip;q=0.8")],
                body: body
            )
            #expect(gzipped.status == 200)
            #expect(gzipped.headers.first(name: "content-encoding") == "gzip")
            #expect(gzipped.headers.first(name: "vary") == "Accept-Encoding")
            #expect(gzipped.body.count < body.utf8.count / 5, "\(gzipped.body.count) bytes")
            let inflated = try Gzip.decompress(ByteBuffer(bytes: gzipped.body), limit: 1 << 20)
            #expect(String(buffer: inflated) == #"{"fString":"\#(Self.bigLabel)"}"#)
            // Not asked for, refused with q=0, or too small to be worth it: sent as it is.
            for (headers, payload) in [
                ([(String, String)](), body), ([("Accept-Encoding", "gzip;q=0")], body),
                ([("Accept-Encoding", "gzip")], #"{"fString":"small"}"#),
            ] {
                let plain = try await client.send(.POST, "/v1/echo", headers: headers, body: payload)
                #expect(plain.headers.first(name: "content-encoding") == nil)
                #expect(plain.text == payload)
            }
        }
    }

    @Test func requestsAndResponsesTravelGzippedToTheBackend() async throws {
        let backends = """
            backends:
              demo:
                endpoints: [127.0.0.1:PORT]
                compressRequests: true
            """
        try await withGateway(replacingBackends: backends, backendGzip: true, throughRelay: true) { harness in
            let client = try await harness.client()
            defer { Task { await client.close() } }
            let response = try await client.send(
                .POST,
                "/v1/echo",
                body: #"{"fString":"\#(Self.bigLabel)","fInt32":7}"#
            )
            #expect(response.status == 200, "\(response.text)")
            #expect(response.text == #"{"fInt32":7,"fString":"\#(Self.bigLabel)"}"#)
            #expect(try await client.send(.GET, "/v1/users/1").text == #"{"id":1,"name":"Ada Lovelace"}"#)
            // On the backend's wire: DATA frames whose gRPC prefix has the compressed flag set.
            let data = try #require(harness.relay).recorded.filter { $0.type == 0 && !$0.payload.isEmpty }
            #expect(!data.isEmpty)
            #expect(data.allSatisfy { $0.payload[0] == 1 }, "\(data.map { $0.payload.prefix(5) })")
        }
    }
}
