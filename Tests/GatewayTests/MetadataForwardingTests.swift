import Foundation
import Gateway
import NIOCore
import NIOHTTP1
import Routing
import Testing

/// Request headers become gRPC metadata (DESIGN.md §4); the demo's Metadata method echoes what
/// the backend received.
@Suite("Headers to metadata end to end")
struct MetadataForwardingTests {
    @Test func endToEndHeadersArriveAndHopByHopOnesDoNot() async throws {
        try await withGateway { harness in
            let client = try await harness.client()
            defer { Task { await client.close() } }
            let response = try await client.send(
                .GET,
                "/v1/metadata",
                headers: [
                    ("Authorization", "Bearer t0k3n"),
                    ("X-Request-Id", "req-1"),
                    ("Grpc-Metadata-Tenant", "acme"),
                    ("Cookie", "secret=1"),
                    ("Connection", "keep-alive, x-hop"),
                    ("X-Hop", "dropped"),
                    ("Keep-Alive", "timeout=5"),
                    ("Grpc-Status", "0"),
                ]
            )
            #expect(response.status == 200, "\(response.text)")
            let entries = (try response.jsonObject()["entries"] as? [[String: Any]]) ?? []
            var received: [String: String] = [:]
            for entry in entries {
                if let name = entry["name"] as? String, let value = entry["value"] as? String { received[name] = value }
            }
            #expect(received["authorization"] == "Bearer t0k3n")
            #expect(received["x-request-id"] == "req-1")
            #expect(received["tenant"] == "acme")
            #expect(received["x-forwarded-for"] == "127.0.0.1")
            #expect(received["x-forwarded-host"] == "localhost")
            #expect(received["cookie"] == nil)
            #expect(received["x-hop"] == nil)
            #expect(received["keep-alive"] == nil)
            #expect(received["connection"] == nil)
            #expect(received["host"] == nil)
            #expect(received["te"] == "trailers")
            #expect(received["content-type"]?.hasPrefix("application/grpc") == true)
        }
    }
}
