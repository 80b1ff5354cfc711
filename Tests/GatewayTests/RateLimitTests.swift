import DemoServices
import Foundation
import NIOHTTP1
import Testing

@testable import Gateway

/// `rateLimits`: token buckets per method, keyed by client address (through trusted proxies), API
/// key or header; over the limit a 429 with `Retry-After` and `{"code":8}`, the backend not
/// called; the bucket refills with time.
@Suite("Rate limits", .serialized)
struct RateLimitTests {
    @Test func overTheLimitIsA429UntilTheBucketRefills() async throws {
        let extra = """
            rateLimits:
              - { selector: demo.user.v1.UserService.GetUser, requestsPerSecond: 2, burst: 3 }
            """
        try await withGateway(extraConfig: extra) { harness in
            let client = try await harness.client()
            for _ in 0..<3 { #expect(try await client.send(.GET, "/v1/users/1").status == 200) }
            let limited = try await client.send(.GET, "/v1/users/1")
            #expect(limited.status == 429)
            #expect(limited.headers.first(name: "retry-after") == "1")
            #expect(try limited.jsonObject()["code"] as? Int == 8)
            #expect(
                (try limited.jsonObject()["message"] as? String)?.contains("2 requests per second, burst 3") == true
            )
            #expect(harness.observer.calls(method: "GetUser") == 3)
            // Other methods have no limit.
            #expect(try await client.send(.GET, "/v1/echo?fString=x").status == 200)
            try await Task.sleep(for: .milliseconds(600))
            #expect(try await client.send(.GET, "/v1/users/1").status == 200, "one token is back after 0.5 s")
            #expect(try await client.send(.GET, "/v1/users/1").status == 429)
            await client.close()
        }
    }

    /// Keyed by a header, each value has its own bucket; without the header, the client's address.
    @Test func eachKeyHasItsOwnBucket() async throws {
        let extra = """
            rateLimits:
              - { selector: "demo.user.v1.*", requestsPerSecond: 0.1, burst: 1, key: "header:x-tenant" }
            """
        try await withGateway(extraConfig: extra) { harness in
            let client = try await harness.client()
            #expect(try await client.send(.GET, "/v1/users/1", headers: [("x-tenant", "a")]).status == 200)
            #expect(try await client.send(.GET, "/v1/users/1", headers: [("x-tenant", "a")]).status == 429)
            #expect(try await client.send(.GET, "/v1/users/1", headers: [("x-tenant", "b")]).status == 200)
            #expect(try await client.send(.GET, "/v1/users/1").status == 200)
            let limited = try await client.send(.GET, "/v1/users/1")
            #expect(limited.status == 429)
            #expect(limited.headers.first(name: "retry-after") == "10")
            await client.close()
        }
    }

    /// `X-Forwarded-For` names the client only when the peer is a trusted proxy.
    @Test func forwardedForCountsOnlyFromTrustedProxies() async throws {
        func run(trusted: String) async throws -> [Int] {
            let extra = """
                trustedProxies: [\(trusted)]
                rateLimits:
                  - { selector: "*", requestsPerSecond: 0.1, burst: 1 }
                """
            return try await withGateway(extraConfig: extra) { harness in
                let client = try await harness.client()
                var statuses: [Int] = []
                for client_ in ["203.0.113.7", "203.0.113.8", "203.0.113.7"] {
                    let response = try await client.send(.GET, "/v1/users/1", headers: [("X-Forwarded-For", client_)])
                    statuses.append(response.status)
                }
                await client.close()
                return statuses
            }
        }
        // The test's peer is 127.0.0.1: trusted, so each forwarded address has a bucket.
        #expect(try await run(trusted: "127.0.0.0/8") == [200, 200, 429])
        // Not trusted: the header is the client's own word, and the peer has one bucket.
        #expect(try await run(trusted: "10.0.0.0/8") == [200, 429, 429])
    }

    @Test func problemsAreReportedWithTheirPaths() throws {
        #expect(demoConfigProblems("rateLimits: [{ selector: '*', requestsPerSecond: 5 }]") == "")
        #expect(
            demoConfigProblems("rateLimits: [{ selector: '*', requestsPerSecond: 0 }]").contains(
                "rateLimits[0].requestsPerSecond"
            )
        )
        let missing = demoConfigProblems("rateLimits: [{ selector: '*' }]")
        #expect(
            missing.contains("rateLimits[0].requestsPerSecond (line") && missing.hasSuffix("required"),
            "\(missing)"
        )
        #expect(
            demoConfigProblems("rateLimits: [{ selector: '*', requestsPerSecond: 1, key: who }]").contains(
                "rateLimits[0].key"
            )
        )
        #expect(
            demoConfigProblems("rateLimits: [{ selector: x.y.*, requestsPerSecond: 1 }]")
                .contains("rateLimits[0].selector: no routed method matches x.y.*")
        )
        #expect(demoConfigProblems("trustedProxies: [10.0.0.0/33]").contains("trustedProxies[0]"))
    }
}

/// The buckets and addresses underneath, stepped with a clock of the test's own.
@Suite("Token buckets and client addresses")
struct TokenBucketTests {
    @Test func bucketsRefillAtTheRateUpToTheBurst() {
        let buckets = TokenBuckets(rate: 4, burst: 2, maxKeys: 100)
        let second: UInt64 = 1_000_000_000
        #expect(buckets.take("a", now: 0) == .allowed)
        #expect(buckets.take("a", now: 0) == .allowed)
        #expect(buckets.take("a", now: 0) == .limited(retryAfterSeconds: 1))
        #expect(buckets.take("a", now: second / 4) == .allowed)
        #expect(buckets.take("a", now: 10 * second) == .allowed)
        #expect(buckets.take("a", now: 10 * second) == .allowed)
        #expect(buckets.take("a", now: 10 * second) == .limited(retryAfterSeconds: 1))
        let slow = TokenBuckets(rate: 0.2, burst: 1, maxKeys: 100)
        #expect(slow.take("a", now: 0) == .allowed)
        #expect(slow.take("a", now: second) == .limited(retryAfterSeconds: 4))
    }

    /// A flood of distinct keys cannot grow the table past its bound.
    @Test func aFloodOfKeysStaysBounded() {
        let buckets = TokenBuckets(rate: 1, burst: 5, maxKeys: 1_600)
        for i in 0..<50_000 { _ = buckets.take("client-\(i)", now: UInt64(i)) }
        #expect(buckets.count <= 1_600)
        #expect(buckets.count > 1_000)
    }

    @Test func addressBlocksAndForwardedFor() throws {
        let block = try #require(AddressBlock("10.0.0.0/8"))
        #expect(block.contains(try #require(AddressBlock.bytes(of: "10.200.1.2"))))
        #expect(!block.contains(try #require(AddressBlock.bytes(of: "11.0.0.1"))))
        let v6 = try #require(AddressBlock("2001:db8::/32"))
        #expect(v6.contains(try #require(AddressBlock.bytes(of: "2001:db8:1::5"))))
        #expect(!v6.contains(try #require(AddressBlock.bytes(of: "10.0.0.1"))))
        #expect(AddressBlock("300.1.1.1") == nil)
        #expect(AddressBlock.bytes(of: "::1") == Array(repeating: 0, count: 15) + [1])
        #expect(AddressBlock.bytes(of: "[::ffff:10.1.2.3]") == AddressBlock.bytes(of: "10.1.2.3"))
        #expect(AddressBlock.bytes(of: "1:2:3:4:5:6:7:8")?.count == 16)
        for bad in ["1:2:3:4:5:6:7:8:9", "1::2::3", "12345::", "1.2.3", "1.2.3.4.5", ":::", "g::1", "01.2.3.4444"] {
            #expect(AddressBlock.bytes(of: bad) == nil, "\(bad)")
        }
        let resolver = ClientAddressResolver(trusted: [block])
        #expect(resolver.client(peer: "10.0.0.1", forwardedFor: ["1.2.3.4, 10.0.0.9"]) == "1.2.3.4")
        #expect(resolver.client(peer: "10.0.0.1", forwardedFor: ["6.6.6.6", "1.2.3.4"]) == "1.2.3.4")
        #expect(resolver.client(peer: "192.0.2.1", forwardedFor: ["1.2.3.4"]) == "192.0.2.1")
        #expect(resolver.client(peer: "10.0.0.1", forwardedFor: []) == "10.0.0.1")
    }
}
