import Gateway
import NIOHTTP1
import Testing

/// Header → metadata rules that need no backend.
@Suite("HeaderPolicy")
struct HeaderPolicyTests {
    func names(_ metadata: [(name: String, value: String)]) -> [String: String] {
        Dictionary(metadata.map { ($0.name, $0.value) }, uniquingKeysWith: { a, _ in a })
    }

    @Test func binaryValuesTravelBase64Encoded() {
        let policy = HeaderPolicy(allow: nil, deny: [])
        // Clients send -bin values base64-encoded (as gRPC does); text that cannot be base64 is
        // encoded on the way through instead of being sent as an invalid binary header.
        let headers = HTTPHeaders([("X-Trace-Bin", "hello world!"), ("X-Ok-Bin", "aGVsbG8=")])
        let metadata = names(policy.metadata(for: headers, clientAddress: nil))
        #expect(metadata["x-trace-bin"] == "aGVsbG8gd29ybGQh")
        #expect(metadata["x-ok-bin"] == "aGVsbG8=")
    }

    @Test func allowListAndDenyListAndForwardedFor() {
        let policy = HeaderPolicy(allow: ["authorization", "x-forwarded-for"], deny: ["authorization"])
        let headers = HTTPHeaders([
            ("Authorization", "t"), ("X-Request-Id", "r"), ("X-Forwarded-For", "10.0.0.1"), ("Host", "h"),
        ])
        let metadata = names(policy.metadata(for: headers, clientAddress: "127.0.0.1"))
        #expect(metadata["authorization"] == nil)
        #expect(metadata["x-request-id"] == nil)
        #expect(metadata["x-forwarded-for"] == "10.0.0.1, 127.0.0.1")
        #expect(metadata["x-forwarded-host"] == "h")
        #expect(metadata["x-forwarded-proto"] == "http")
    }
}
