import Foundation
import Gateway
import NIOHTTP1
import Testing

/// `X-Request-Id` with the access log on: kept when the client sends a sane one, generated
/// otherwise, forwarded to the backend as metadata and returned on every kind of response.
@Suite("X-Request-Id end to end")
struct RequestIdTests {
    static let logging = "logging:\n  access: true\n  format: json"

    /// What the demo's Metadata method received, by name.
    static func received(_ response: TestResponse) throws -> [String: String] {
        var received: [String: String] = [:]
        for entry in (try response.jsonObject()["entries"] as? [[String: Any]]) ?? [] {
            if let name = entry["name"] as? String, let value = entry["value"] as? String { received[name] = value }
        }
        return received
    }

    @Test func generatedWhenAbsentForwardedAndReturned() async throws {
        try await withGateway(extraConfig: Self.logging, accessLog: CollectingSink()) { harness in
            let client = try await harness.client()
            defer { Task { await client.close() } }
            let first = try await client.send(.GET, "/v1/metadata")
            let second = try await client.send(.GET, "/v1/metadata")
            let id = try #require(first.headers.first(name: "x-request-id"))
            #expect(id.wholeMatch(of: /[0-9a-f]{32}/) != nil, "\(id)")
            #expect(try Self.received(first)["x-request-id"] == id)
            #expect(second.headers.first(name: "x-request-id") != id, "a new id per request")
        }
    }

    @Test func keptWhenSentAndSane() async throws {
        try await withGateway(extraConfig: Self.logging, accessLog: CollectingSink()) { harness in
            let client = try await harness.client()
            defer { Task { await client.close() } }
            let response = try await client.send(.GET, "/v1/metadata", headers: [("X-Request-Id", "req-7:a/b")])
            #expect(response.headers[canonicalForm: "x-request-id"] == ["req-7:a/b"])
            #expect(try Self.received(response)["x-request-id"] == "req-7:a/b")
        }
    }

    @Test func replacedWhenTooLongOrUnsafe() async throws {
        try await withGateway(extraConfig: Self.logging, accessLog: CollectingSink()) { harness in
            let client = try await harness.client()
            defer { Task { await client.close() } }
            for sent in [String(repeating: "a", count: 129), "two words", #"quote""#] {
                let response = try await client.send(.GET, "/v1/metadata", headers: [("X-Request-Id", sent)])
                let id = try #require(response.headers.first(name: "x-request-id"))
                #expect(id.wholeMatch(of: /[0-9a-f]{32}/) != nil, "\(sent) → \(id)")
                #expect(try Self.received(response)["x-request-id"] == id)
            }
        }
    }

    @Test func returnedOnErrorsAndStreams() async throws {
        try await withGateway(extraConfig: Self.logging, accessLog: CollectingSink()) { harness in
            let client = try await harness.client()
            defer { Task { await client.close() } }
            let unmatched = try await client.send(.GET, "/v1/nowhere", headers: [("X-Request-Id", "e-1")])
            #expect(unmatched.status == 404)
            #expect(unmatched.headers.first(name: "x-request-id") == "e-1")
            let failed = try await client.send(.GET, "/v1/users/9", headers: [("X-Request-Id", "e-2")])
            #expect(failed.status == 404)
            #expect(failed.headers.first(name: "x-request-id") == "e-2")
            let stream = try await client.send(.GET, "/v1/files/zeros-10:chunks", headers: [("X-Request-Id", "s-1")])
            #expect(stream.status == 200)
            #expect(stream.headers.first(name: "x-request-id") == "s-1")
        }
    }
}
