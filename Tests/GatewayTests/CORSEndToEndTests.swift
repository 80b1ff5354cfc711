import DemoServices
import Foundation
import Gateway
import NIOHTTP1
import Prometheus
import Testing

/// `cors:` on real sockets: preflights answered by Portico (no backend call), the headers of
/// actual responses (unary, error, streamed, WebSocket handshake), per-method policies,
/// disallowed origins counted, and a reload that changes the policy.
@Suite("CORS end to end")
struct CORSEndToEndTests {
    static let config = """
        cors:
          allowOrigins: ["https://app.example.com", "https://*.example.org", "http://localhost:*"]
          allowHeaders: [content-type, x-trace]
          exposeHeaders: [x-request-id]
          maxAge: 2m
        methods:
          demo.echo.v1.EchoService.Metadata:
            cors: { allowOrigins: ["https://partner.example.net"], allowCredentials: true }
        """

    static let app = ("Origin", "https://app.example.com")

    /// A gateway with ``config``'s policies and a client of it, for `body`.
    static func withClient(
        metrics: PrometheusCollectorRegistry = PrometheusCollectorRegistry(),
        _ body: (GatewayHarness, TestHTTPClient) async throws -> Void
    ) async throws {
        try await withGateway(extraConfig: config, metrics: metrics) { harness in
            let client = try await harness.client()
            try await body(harness, client)
            await client.close()
        }
    }

    @Test func aPreflightIsAnsweredWithoutACallAndTheActualRequestIsGranted() async throws {
        try await Self.withClient { harness, client in
            let preflight = try await client.preflight(
                "/v1/echo?f_string=x",
                origin: "https://app.example.com",
                method: "POST",
                headers: "Content-Type"
            )
            #expect(preflight.status == 204)
            #expect(preflight.body.isEmpty)
            #expect(preflight.headers["content-length"].isEmpty)
            #expect(preflight.headers.first(name: "access-control-allow-origin") == "https://app.example.com")
            #expect(preflight.headers.first(name: "access-control-allow-methods") == "POST")
            #expect(preflight.headers.first(name: "access-control-allow-headers") == "content-type, x-trace")
            #expect(preflight.headers.first(name: "access-control-max-age") == "120")
            #expect(preflight.headers.first(name: "vary")?.hasPrefix("Origin") == true)
            #expect(preflight.headers.first(name: "access-control-allow-credentials") == nil)
            #expect(harness.observer.calls(method: "Echo") == 0)

            let actual = try await client.send(
                .POST,
                "/v1/echo",
                headers: [Self.app, ("Content-Type", "application/json")],
                body: #"{"fString":"hi"}"#
            )
            #expect(actual.status == 200)
            #expect(actual.headers.first(name: "access-control-allow-origin") == "https://app.example.com")
            #expect(actual.headers.first(name: "access-control-expose-headers") == "x-request-id")
            #expect(actual.headers.first(name: "vary") == "Origin")
            #expect(harness.observer.calls(method: "Echo") == 1)
        }
    }

    @Test func aPreflightForAnUnknownRouteIs404AndForAMissingVerb405() async throws {
        try await Self.withClient { harness, client in
            let unknown = try await client.preflight("/v1/nowhere", origin: "https://app.example.com", method: "GET")
            #expect(unknown.status == 404)
            #expect(unknown.headers.first(name: "access-control-allow-origin") == nil)
            let wrongVerb = try await client.preflight(
                "/v1/users/1",
                origin: "https://app.example.com",
                method: "DELETE"
            )
            #expect(wrongVerb.status == 405)
            #expect(wrongVerb.headers.first(name: "allow") == "GET, HEAD")
            #expect(wrongVerb.headers.first(name: "access-control-allow-origin") == nil)
            // OPTIONS without Access-Control-Request-Method is no preflight.
            let plain = try await client.send(.OPTIONS, "/v1/users/1", headers: [Self.app])
            #expect(plain.status == 405)
            #expect(harness.getUserCounts == [0])
        }
    }

    @Test func wildcardSubdomainsAndPortsAreMatched() async throws {
        try await Self.withClient { harness, client in
            for (origin, granted) in [
                ("https://a.b.example.org", true), ("https://example.org", false), ("http://a.example.org", false),
                ("http://localhost:5173", true), ("http://localhost", true), ("https://localhost:5173", false),
            ] {
                let response = try await client.send(.GET, "/v1/users/1", headers: [("Origin", origin)])
                #expect(response.status == 200)
                #expect(
                    response.headers.first(name: "access-control-allow-origin") == (granted ? origin : nil),
                    "\(origin)"
                )
                #expect(response.headers.first(name: "vary") == "Origin")
            }
            let preflight = try await client.preflight("/v1/users/1", origin: "https://x.example.org", method: "GET")
            #expect(preflight.headers.first(name: "access-control-allow-origin") == "https://x.example.org")
        }
    }

    @Test func aDisallowedOriginGetsNoHeadersAndIsCounted() async throws {
        let registry = PrometheusCollectorRegistry()
        try await Self.withClient(metrics: registry) { harness, client in
            let actual = try await client.send(.GET, "/v1/users/1", headers: [("Origin", "https://evil.test")])
            // Forwarded all the same: it is the browser that withholds the answer.
            #expect(actual.status == 200)
            #expect(harness.getUserCounts == [1])
            #expect(actual.headers.first(name: "access-control-allow-origin") == nil)
            #expect(actual.headers.first(name: "access-control-expose-headers") == nil)
            #expect(actual.headers.first(name: "vary") == "Origin")
            let preflight = try await client.preflight("/v1/echo", origin: "https://evil.test", method: "POST")
            #expect(preflight.status == 204)
            #expect(preflight.headers.first(name: "access-control-allow-origin") == nil)
            #expect(preflight.headers.first(name: "access-control-allow-methods") == nil)
            #expect(preflight.headers.first(name: "vary") != nil)
            let header = try await client.preflight(
                "/v1/echo",
                origin: "https://app.example.com",
                method: "POST",
                headers: "x-secret"
            )
            #expect(header.status == 204)
            #expect(header.headers.first(name: "access-control-allow-headers") == "content-type, x-trace")
            // Without Origin a request is not cross-origin: nothing counted.
            _ = try await client.send(.GET, "/v1/users/1")
            #expect(harness.observer.calls(method: "Echo") == 0)
            let samples = try PrometheusExposition.samples(registry)
            let name = "portico_cors_rejected_total"
            #expect(samples.value(name, ["http_route": "/v1/users/{id}", "reason": "origin"]) == 1)
            #expect(samples.value(name, ["http_route": "/v1/echo", "reason": "origin"]) == 1)
            #expect(samples.value(name, ["http_route": "/v1/echo", "reason": "headers"]) == 1)
            #expect(samples.named(name).count == 3)
        }
    }

    @Test func aMethodPolicyReplacesTheGlobalOneAndCarriesCredentials() async throws {
        try await Self.withClient { harness, client in
            let partner = try await client.send(
                .GET,
                "/v1/metadata",
                headers: [("Origin", "https://partner.example.net")]
            )
            #expect(partner.status == 200)
            #expect(partner.headers.first(name: "access-control-allow-origin") == "https://partner.example.net")
            #expect(partner.headers.first(name: "access-control-allow-credentials") == "true")
            #expect(partner.headers.first(name: "access-control-expose-headers") == nil)
            // Allowed by the global policy, which this method's replaces.
            let app = try await client.send(.GET, "/v1/metadata", headers: [Self.app])
            #expect(app.headers.first(name: "access-control-allow-origin") == nil)
            let preflight = try await client.preflight(
                "/v1/metadata",
                origin: "https://partner.example.net",
                method: "GET",
                headers: "x-trace"
            )
            #expect(preflight.status == 204)
            #expect(preflight.headers.first(name: "access-control-allow-credentials") == "true")
            #expect(preflight.headers.first(name: "access-control-allow-headers") == nil)
            #expect(preflight.headers.first(name: "access-control-max-age") == "600")
        }
    }

    @Test func errorAndStreamedResponsesCarryTheHeaders() async throws {
        try await Self.withClient { harness, client in
            let failed = try await client.send(.POST, "/v1/fail", headers: [Self.app], body: #"{"code":5}"#)
            #expect(failed.status == 404)
            #expect(failed.headers.first(name: "access-control-allow-origin") == "https://app.example.com")
            let badBody = try await client.send(.POST, "/v1/echo", headers: [Self.app], body: "{")
            #expect(badBody.status == 400)
            #expect(badBody.headers.first(name: "access-control-allow-origin") == "https://app.example.com")
            // No route, no policy: no CORS headers at all.
            let unmatched = try await client.send(.GET, "/v1/nowhere", headers: [Self.app])
            #expect(unmatched.status == 404)
            #expect(unmatched.headers.first(name: "access-control-allow-origin") == nil)
            #expect(unmatched.headers.first(name: "vary") == nil)
            let stream = try await client.send(.GET, "/v1/files/zeros-3000:chunks", headers: [Self.app])
            #expect(stream.status == 200)
            #expect(stream.headers.first(name: "transfer-encoding") == "chunked")
            #expect(stream.headers.first(name: "access-control-allow-origin") == "https://app.example.com")
            #expect(stream.headers.first(name: "vary") == "Origin")
            // The next request on the connection is judged on its own.
            let next = try await client.send(.GET, "/v1/users/1")
            #expect(next.headers.first(name: "access-control-allow-origin") == nil)
        }
    }

    @Test func anAuthRefusalCarriesTheHeadersAndThePreflightNeedsNoKey() async throws {
        let keys = NSTemporaryDirectory() + "portico-cors-keys-\(UUID().uuidString)"
        try "secret\n".write(toFile: keys, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: keys) }
        let auth = """
            auth:
              providers:
                keys: { apiKey: { header: x-api-key, keys: { file: \(keys) } } }
              rules:
                - selector: demo.user.v1.UserService.*
                  requires: [keys]
            """
        try await withGateway(extraConfig: Self.config + "\n" + auth) { harness in
            let client = try await harness.client()
            // Browsers send preflights without credentials: answered before any key is asked for.
            let preflight = try await client.preflight("/v1/users/1", origin: "https://app.example.com", method: "GET")
            #expect(preflight.status == 204)
            #expect(preflight.headers.first(name: "access-control-allow-origin") == "https://app.example.com")
            // The page can read why it was refused.
            let refused = try await client.send(.GET, "/v1/users/1", headers: [Self.app])
            #expect(refused.status == 401)
            #expect(refused.headers.first(name: "access-control-allow-origin") == "https://app.example.com")
            #expect(harness.getUserCounts == [0])
            await client.close()
        }
    }

    @Test func aWebSocketHandshakeCarriesTheHeaders() async throws {
        try await withGateway(extraConfig: Self.config) { harness in
            let allowed = try await WebSocketTestClient.connect(
                port: harness.gatewayPort,
                path: "/v1/chat",
                headers: [("Origin", "http://localhost:8000")]
            )
            #expect(allowed.handshakeHeaders.first(name: "access-control-allow-origin") == "http://localhost:8000")
            #expect(allowed.handshakeHeaders.first(name: "vary") == "Origin")
            await allowed.close()
            let other = try await WebSocketTestClient.connect(
                port: harness.gatewayPort,
                path: "/v1/chat",
                headers: [("Origin", "https://evil.test")]
            )
            #expect(other.handshakeHeaders.first(name: "access-control-allow-origin") == nil)
            #expect(other.handshakeHeaders.first(name: "vary") == "Origin")
            await other.close()
        }
    }

    @Test func withoutCORSNothingChanges() async throws {
        try await withGateway { harness in
            let client = try await harness.client()
            let actual = try await client.send(.GET, "/v1/users/1", headers: [Self.app])
            #expect(actual.headers.first(name: "access-control-allow-origin") == nil)
            #expect(actual.headers.first(name: "vary") == nil)
            let preflight = try await client.preflight("/v1/users/1", origin: "https://app.example.com", method: "GET")
            #expect(preflight.status == 405)
            #expect(preflight.headers.first(name: "allow") == "GET, HEAD")
            await client.close()
        }
    }

    @Test func aReloadChangesThePolicy() async throws {
        let file = try ReloadTests.ConfigFile()
        defer { file.remove() }
        let before = ReloadTests.yaml(port: "PORT", extra: "cors: { allowOrigins: [\"https://old.example.com\"] }")
        try await withFileGateway(path: file.path, template: before) { harness in
            let client = try await harness.client()
            let admin = try await harness.adminClient()
            let new = ("Origin", "https://new.example.com")
            #expect(
                try await client.send(.GET, "/v1/users/1", headers: [new]).headers["access-control-allow-origin"] == []
            )
            let port = harness.ports[0]
            try file.write(ReloadTests.yaml(port: port, extra: "cors: { allowOrigins: [\"https://new.example.com\"] }"))
            #expect(try await admin.send(.POST, "/reload", body: "").status == 200)
            let after = try await client.send(.GET, "/v1/users/1", headers: [new])
            #expect(after.headers.first(name: "access-control-allow-origin") == "https://new.example.com")
            let config = try await admin.send(.GET, "/config").jsonObject()
            #expect((config["cors"] as? [String: Any])?["allowOrigins"] as? [String] == ["https://new.example.com"])
            await client.close()
            await admin.close()
        }
    }
}

extension TestHTTPClient {
    /// Sends a CORS preflight from `origin` asking about a `method` request (with `headers`) on
    /// `path`.
    fileprivate func preflight(
        _ path: String,
        origin: String,
        method: String,
        headers: String? = nil
    ) async throws -> TestResponse {
        let asked = headers.map { [("Access-Control-Request-Headers", $0)] } ?? []
        return try await send(
            .OPTIONS,
            path,
            headers: [("Origin", origin), ("Access-Control-Request-Method", method)] + asked
        )
    }
}
