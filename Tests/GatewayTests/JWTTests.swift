import DemoServices
import Foundation
import Gateway
import NIOHTTP1
import NIOSSL
import Prometheus
import Testing

/// `jwt` providers end to end: tokens of each algorithm accepted and their claims forwarded as
/// metadata (the token itself stripped), every forgery and misfit refused before the backend
/// (401 with a bearer challenge, 403 for a wrong audience or claim), the key set fetched from a
/// URL (HTTPS with a private CA) and fetched again on an unknown `kid` (rotation) or when stale.
@Suite("JWT")
struct JWTTests {
    /// The three signing keys of the tests, made once.
    struct Keys: Sendable {
        let rsa: TestJWTIssuer.SigningKey
        let ec: TestJWTIssuer.SigningKey
        let ed: TestJWTIssuer.SigningKey
        let rotated: TestJWTIssuer.SigningKey

        static func make() async throws -> Keys {
            Keys(
                rsa: try await TestJWTIssuer.rsa(kid: "rsa-1"),
                ec: try TestJWTIssuer.ecdsa(kid: "ec-1"),
                ed: try TestJWTIssuer.edDSA(kid: "ed-1"),
                rotated: try await TestJWTIssuer.rsa(kid: "rsa-2")
            )
        }
    }

    /// A JWKS file of `keys`; removed by the caller.
    static func jwksFile(_ keys: [TestJWTIssuer.SigningKey]) throws -> String {
        let path = NSTemporaryDirectory() + "portico-jwks-\(UUID().uuidString).json"
        try TestJWTIssuer.jwks(keys).write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    /// A provider `idp` over `jwks` required by UserService and EchoService.Metadata.
    static func config(jwks: String, extra: String = "") -> String {
        """
        auth:
          providers:
            idp:
              jwt:
                issuer: \(TestJWTIssuer.issuer)
                audiences: [\(TestJWTIssuer.audience), other-app]
                jwks: \(jwks)
                claimsToHeaders: { sub: x-user-id, email: x-user-email }
        \(extra)
          rules:
            - { selector: demo.user.v1.UserService.*, requires: [idp] }
            - { selector: demo.echo.v1.EchoService.Metadata, requires: [idp] }
            - { selector: demo.chat.v1.ChatService.*, requires: [idp] }
            - { selector: demo.upfile.v1.UpFileService.*, requires: [idp] }
        """
    }

    static func bearer(_ token: String) -> [(String, String)] { [("authorization", "Bearer \(token)")] }

    @Test func validTokensOfEachAlgorithmPassWithTheirClaimsAsMetadata() async throws {
        let keys = try await Keys.make()
        let file = try Self.jwksFile([keys.rsa, keys.ec, keys.ed])
        defer { try? FileManager.default.removeItem(atPath: file) }
        try await withGateway(extraConfig: Self.config(jwks: "{ file: \(file) }")) { harness in
            let client = try await harness.client()
            for key in [keys.rsa, keys.ec, keys.ed] {
                var claims = TestJWTIssuer.Claims()
                claims.email = "\(key.algorithm)@example.com"
                let token = try await TestJWTIssuer.token(claims, signedBy: key)
                let response = try await client.send(
                    .GET,
                    "/v1/metadata",
                    headers: Self.bearer(token) + [("x-user-id", "forged")]
                )
                #expect(response.status == 200, "\(key.algorithm): \(response.text)")
                let entries = try APIKeyTests.entries(response)
                #expect(entries.filter { $0.name == "x-user-id" }.map(\.value) == ["user-42"])
                #expect(entries.filter { $0.name == "x-user-email" }.map(\.value) == ["\(key.algorithm)@example.com"])
                #expect(!entries.contains { $0.name == "authorization" }, "the token is stripped by default")
                // Again: from the cache this time, same answer.
                let again = try await client.send(.GET, "/v1/metadata", headers: Self.bearer(token))
                #expect(try APIKeyTests.entries(again).filter { $0.name == "x-user-id" }.map(\.value) == ["user-42"])
            }
            let user = try await client.send(
                .GET,
                "/v1/users/1",
                headers: Self.bearer(try await TestJWTIssuer.token(signedBy: keys.rsa))
            )
            #expect(user.status == 200)
            #expect(user.text == #"{"id":1,"name":"Ada Lovelace"}"#)
            await client.close()
        }
    }

    @Test func forgedExpiredAndMisaddressedTokensNeverReachTheBackend() async throws {
        let keys = try await Keys.make()
        let file = try Self.jwksFile([keys.rsa, keys.ec])
        defer { try? FileManager.default.removeItem(atPath: file) }
        try await withGateway(extraConfig: Self.config(jwks: "{ file: \(file) }")) { harness in
            let client = try await harness.client()
            let now = Int64(Date().timeIntervalSince1970)
            var expired = TestJWTIssuer.Claims()
            expired.exp = now - 3600
            expired.iat = now - 7200
            var otherIssuer = TestJWTIssuer.Claims()
            otherIssuer.iss = "https://evil.example/"
            var noExpiry = TestJWTIssuer.Claims()
            noExpiry.exp = nil
            var notYet = TestJWTIssuer.Claims()
            notYet.nbf = now + 3600
            var admin = TestJWTIssuer.Claims()
            admin.sub = "admin"
            let good = try await TestJWTIssuer.token(signedBy: keys.rsa)
            let cases: [(String, String, String)] = [
                ("expired", try await TestJWTIssuer.token(expired, signedBy: keys.rsa), "expired"),
                ("wrong issuer", try await TestJWTIssuer.token(otherIssuer, signedBy: keys.ec), "issuer"),
                ("no exp", try await TestJWTIssuer.token(noExpiry, signedBy: keys.rsa), "expiry"),
                ("nbf in the future", try await TestJWTIssuer.token(notYet, signedBy: keys.rsa), "not valid yet"),
                ("unknown kid", try await TestJWTIssuer.token(signedBy: keys.rotated), "unknown signing key"),
                ("alg none", try TestJWTIssuer.unsigned(kid: "rsa-1"), "\"none\" is not accepted"),
                (
                    "HS256 keyed with the RSA public key",
                    try await TestJWTIssuer.hmac(secret: try #require(keys.rsa.publicPEM), kid: "rsa-1"),
                    "\"HS256\" is not accepted"
                ),
                ("tampered payload", try TestJWTIssuer.tampered(good, claims: admin), "signature"),
                (
                    "EC key's token naming the RSA kid", try await TestJWTIssuer.token(signedBy: keys.ec, kid: "rsa-1"),
                    "verifies RS256"
                ),
                ("garbage", "not.a.token", "malformed"),
            ]
            for (name, token, reason) in cases {
                let response = try await client.send(.GET, "/v1/users/1", headers: Self.bearer(token))
                #expect(response.status == 401, "\(name): \(response.text)")
                #expect(try statusMessage(response).code == 16, "\(name)")
                #expect(try statusMessage(response).message.contains(reason), "\(name): \(response.text)")
                #expect(
                    response.headers.first(name: "www-authenticate")
                        == #"Bearer realm="portico", error="invalid_token""#,
                    "\(name)"
                )
            }
            let missing = try await client.send(.GET, "/v1/users/1")
            #expect(missing.status == 401)
            #expect(missing.headers.first(name: "www-authenticate") == #"Bearer realm="portico""#)
            let basic = try await client.send(.GET, "/v1/users/1", headers: [("authorization", "Basic dXNlcjpwYXNz")])
            #expect(basic.status == 401)

            var otherAudience = TestJWTIssuer.Claims()
            otherAudience.aud = ["someone-else"]
            let misaddressed = try await client.send(
                .GET,
                "/v1/users/1",
                headers: Self.bearer(try await TestJWTIssuer.token(otherAudience, signedBy: keys.rsa))
            )
            #expect(misaddressed.status == 403, "\(misaddressed.text)")
            #expect(try statusMessage(misaddressed).code == 7)
            #expect(misaddressed.headers.first(name: "www-authenticate")?.contains("insufficient_scope") == true)
            #expect(harness.observer.calls(method: "GetUser") == 0, "no refused request reaches the backend")
            #expect(try await client.send(.GET, "/v1/users/1", headers: Self.bearer(good)).status == 200)
            await client.close()
        }
    }

    /// A required claim: authentic tokens without it are forbidden (403); the token may come
    /// from a cookie; `forward: true` sends it on to the backend.
    @Test func requiredClaimsCookiesAndForwarding() async throws {
        let keys = try await Keys.make()
        let file = try Self.jwksFile([keys.ed])
        defer { try? FileManager.default.removeItem(atPath: file) }
        let extra = """
                    requiredClaims: { scope: [users.read] }
                    from: [{ header: Authorization, prefix: "Bearer " }, { cookie: session }]
                    forward: true
            """
        try await withGateway(extraConfig: Self.config(jwks: "{ file: \(file) }", extra: extra)) { harness in
            let client = try await harness.client()
            var reader = TestJWTIssuer.Claims()
            reader.scope = ["users.write", "users.read"]
            let token = try await TestJWTIssuer.token(reader, signedBy: keys.ed)
            let byCookie = try await client.send(
                .GET,
                "/v1/metadata",
                headers: [("cookie", "theme=dark; session=\(token)")]
            )
            #expect(byCookie.status == 200, "\(byCookie.text)")
            #expect(try APIKeyTests.entries(byCookie).first { $0.name == "x-user-id" }?.value == "user-42")
            let byHeader = try await client.send(.GET, "/v1/metadata", headers: Self.bearer(token))
            let forwarded = try APIKeyTests.entries(byHeader).first { $0.name == "authorization" }?.value
            #expect(forwarded == "Bearer \(token)", "forward: true keeps the token")
            let unscoped = try await TestJWTIssuer.token(signedBy: keys.ed)
            let forbidden = try await client.send(.GET, "/v1/metadata", headers: Self.bearer(unscoped))
            #expect(forbidden.status == 403)
            #expect(try statusMessage(forbidden).message.contains("scope claim"))
            await client.close()
        }
    }

    /// Tokens from a header of its own and from a query parameter: the parameter is not a
    /// request field (route matching never sees it), and a header token is stripped unless
    /// forwarded.
    @Test func tokensFromAHeaderOrTheQuery() async throws {
        let keys = try await Keys.make()
        let file = try Self.jwksFile([keys.rsa])
        defer { try? FileManager.default.removeItem(atPath: file) }
        let extra = """
                    from: [{ header: x-token }, { query: access_token }]
            """
        let rules = "\n    - { selector: demo.echo.v1.EchoService.Echo, requires: [idp] }"
        try await withGateway(extraConfig: Self.config(jwks: "{ file: \(file) }", extra: extra) + rules) { harness in
            let client = try await harness.client()
            let token = try await TestJWTIssuer.token(signedBy: keys.rsa)
            let byQuery = try await client.send(.GET, "/v1/echo?fString=hi&access_token=\(token)")
            #expect(byQuery.status == 200, "\(byQuery.text)")
            #expect(byQuery.text == #"{"fString":"hi"}"#, "the token is not a field")
            let byHeader = try await client.send(.GET, "/v1/metadata", headers: [("x-token", token)])
            #expect(byHeader.status == 200, "\(byHeader.text)")
            #expect(!(try APIKeyTests.entries(byHeader)).contains { $0.name == "x-token" }, "stripped")
            let bearerOnly = try await client.send(.GET, "/v1/metadata", headers: Self.bearer(token))
            #expect(bearerOnly.status == 401, "Authorization is not one of this provider's sources")
            await client.close()
        }
    }

    /// The key set from an HTTPS URL (a private CA): fetched before the first token, and again
    /// when a token names a `kid` it lacks — the issuer rotated its keys — but not more than once
    /// per 30 s however many unknown `kid`s arrive.
    @Test func aKeySetFromAURLIsFetchedAgainWhenTheIssuerRotates() async throws {
        let keys = try await Keys.make()
        try await withCertificates { certs in
            let tls = try NIOSSLContext(
                configuration: .makeServerConfiguration(
                    certificateChain: [
                        .certificate(try NIOSSLCertificate(file: certs.server.certificate, format: .pem))
                    ],
                    privateKey: .privateKey(try NIOSSLPrivateKey(file: certs.server.privateKey, format: .pem))
                )
            )
            let issuer = try await StaticPageServer.start(
                host: "127.0.0.1",
                page: TestJWTIssuer.jwks([keys.rsa]),
                contentType: "application/json",
                tls: tls
            )
            defer { Task { await issuer.stop() } }
            let jwks = "{ url: \"https://localhost:\(issuer.port)/jwks.json\", caFile: \(certs.ca.certificate) }"
            let registry = PrometheusCollectorRegistry()
            try await withGateway(extraConfig: Self.config(jwks: jwks), metrics: registry) { harness in
                let client = try await harness.client()
                let first = try await client.send(
                    .GET,
                    "/v1/users/1",
                    headers: Self.bearer(try await TestJWTIssuer.token(signedBy: keys.rsa))
                )
                #expect(first.status == 200, "\(first.text)")
                #expect(issuer.requests == 1)
                issuer.serve(TestJWTIssuer.jwks([keys.rsa, keys.rotated]))
                let rotated = try await client.send(
                    .GET,
                    "/v1/users/1",
                    headers: Self.bearer(try await TestJWTIssuer.token(signedBy: keys.rotated))
                )
                #expect(rotated.status == 200, "a new kid is looked up again: \(rotated.text)")
                #expect(issuer.requests == 2)
                for kid in ["made-up-1", "made-up-2", "made-up-3"] {
                    let unknown = try await client.send(
                        .GET,
                        "/v1/users/1",
                        headers: Self.bearer(try await TestJWTIssuer.token(signedBy: keys.rsa, kid: kid))
                    )
                    #expect(unknown.status == 401)
                }
                #expect(issuer.requests == 2, "unknown kids fetch the set at most once per 30 s")
                let samples = try PrometheusExposition.samples(registry)
                #expect(samples.value("portico_jwks_fetches_total", ["provider": "idp", "result": "success"]) == 2)
                await client.close()
            }
        }
    }

    /// An unknown `kid` is refused; once the issuer publishes the key and the set is older than
    /// its refresh interval, the same token passes.
    @Test func anUnknownKidPassesAfterTheSetRefreshes() async throws {
        let keys = try await Keys.make()
        let issuer = try await StaticPageServer.start(
            host: "127.0.0.1",
            page: TestJWTIssuer.jwks([keys.rsa]),
            contentType: "application/json"
        )
        defer { Task { await issuer.stop() } }
        let jwks = "{ url: \"http://127.0.0.1:\(issuer.port)/jwks.json\", refreshInterval: 1s }"
        try await withGateway(extraConfig: Self.config(jwks: jwks)) { harness in
            let client = try await harness.client()
            let token = try await TestJWTIssuer.token(signedBy: keys.rotated)
            let before = try await client.send(.GET, "/v1/users/1", headers: Self.bearer(token))
            #expect(before.status == 401)
            #expect(try statusMessage(before).message.contains("unknown signing key \"rsa-2\""))
            issuer.serve(TestJWTIssuer.jwks([keys.rotated]))
            try await Task.sleep(for: .milliseconds(1_100))
            let after = try await client.send(.GET, "/v1/users/1", headers: Self.bearer(token))
            #expect(after.status == 200, "\(after.text)")
            await client.close()
        }
    }

    /// A new token on a streamed upload and a WebSocket handshake: both wait for its
    /// verification, then go on; the rate limit keyed by `sub` tells users apart.
    @Test func streamsHandshakesAndRateLimitsBySubject() async throws {
        let keys = try await Keys.make()
        let file = try Self.jwksFile([keys.ec])
        defer { try? FileManager.default.removeItem(atPath: file) }
        let limits = """
            rateLimits:
              - { selector: demo.echo.v1.EchoService.Metadata, requestsPerSecond: 0.1, burst: 1, key: jwtSub }
            """
        try await withGateway(extraConfig: Self.config(jwks: "{ file: \(file) }") + "\n" + limits) { harness in
            let upload = try await ClientStreamingTests.upload(
                harness,
                uri: "/v1/uploads",
                chunks: [Array(ClientStreamingTests.ndjsonBody.utf8)],
                headers: Self.bearer(try await TestJWTIssuer.token(signedBy: keys.ec))
            )
            #expect(upload.status == 200, "\(upload.text)")
            let refused = try await ClientStreamingTests.upload(
                harness,
                uri: "/v1/uploads",
                chunks: [Array(ClientStreamingTests.ndjsonBody.utf8)]
            )
            #expect(refused.status == 401)

            var chatter = TestJWTIssuer.Claims()
            chatter.sub = "chatter"
            let chatToken = try await TestJWTIssuer.token(chatter, signedBy: keys.ec)
            let accepted = try await APIKeyTests.handshake(
                port: harness.gatewayPort,
                extraHeaders: "Authorization: Bearer \(chatToken)\r\n"
            )
            #expect(accepted.hasPrefix("HTTP/1.1 101"), "\(accepted)")
            let anonymous = try await APIKeyTests.handshake(port: harness.gatewayPort, extraHeaders: "")
            #expect(anonymous.hasPrefix("HTTP/1.1 401"), "\(anonymous)")

            let client = try await harness.client()
            var alice = TestJWTIssuer.Claims()
            alice.sub = "alice"
            var bob = TestJWTIssuer.Claims()
            bob.sub = "bob"
            let aliceToken = try await TestJWTIssuer.token(alice, signedBy: keys.ec)
            #expect(try await client.send(.GET, "/v1/metadata", headers: Self.bearer(aliceToken)).status == 200)
            let limited = try await client.send(.GET, "/v1/metadata", headers: Self.bearer(aliceToken))
            #expect(limited.status == 429)
            #expect(limited.headers.first(name: "retry-after") != nil)
            let bobToken = try await TestJWTIssuer.token(bob, signedBy: keys.ec)
            #expect(try await client.send(.GET, "/v1/metadata", headers: Self.bearer(bobToken)).status == 200)
            await client.close()
        }
    }

    @Test func badProvidersAreLoadProblemsWithTheirPaths() throws {
        let notJSON = NSTemporaryDirectory() + "portico-jwks-\(UUID().uuidString).json"
        try "{ keys: nope".write(toFile: notJSON, atomically: true, encoding: .utf8)
        let symmetric = NSTemporaryDirectory() + "portico-jwks-\(UUID().uuidString).json"
        try #"{"keys":[{"kty":"oct","kid":"h","k":"c2VjcmV0"}]}"#.write(
            toFile: symmetric,
            atomically: true,
            encoding: .utf8
        )
        defer {
            try? FileManager.default.removeItem(atPath: notJSON)
            try? FileManager.default.removeItem(atPath: symmetric)
        }
        func problems(_ provider: String) -> String {
            demoConfigProblems(
                """
                auth:
                  providers:
                    idp: { jwt: \(provider) }
                  rules: [{ selector: "*", requires: [idp] }]
                """
            )
        }
        let missing = problems("{ issuer: x, jwks: { file: /nonexistent/jwks.json } }")
        #expect(missing.contains("auth.providers.idp.jwt.jwks.file: cannot read /nonexistent/jwks.json"), "\(missing)")
        let garbled = problems("{ issuer: x, jwks: { file: \(notJSON) } }")
        #expect(garbled.contains("auth.providers.idp.jwt.jwks.file:") && garbled.contains("not a JWKS"), "\(garbled)")
        let hmacOnly = problems("{ issuer: x, jwks: { file: \(symmetric) } }")
        #expect(hmacOnly.contains("auth.providers.idp.jwt.jwks.file:"), "\(hmacOnly)")
        #expect(hmacOnly.contains("no usable key") && hmacOnly.contains("keys[0]"), "\(hmacOnly)")
        let weak = problems("{ issuer: x, jwks: { file: \(symmetric) }, algorithms: [HS256, none] }")
        #expect(weak.contains(#"- auth.providers.idp.jwt.algorithms[0] (line"#), "\(weak)")
        #expect(weak.contains(#"unsupported algorithm "HS256""#) && weak.contains(#"unsupported algorithm "none""#))
        let plain = problems("{ issuer: x, jwks: { url: \"http://id.example.com/jwks\" } }")
        #expect(plain.contains("- auth.providers.idp.jwt.jwks.url (line"), "\(plain)")
        #expect(plain.contains("a key set is fetched over https://"), "\(plain)")
        #expect(!plain.contains("unknown provider"), "one problem, not its echoes: \(plain)")
        let noIssuer = problems("{ jwks: { url: \"https://id.example.com/jwks\" } }")
        #expect(noIssuer.contains("- auth.providers.idp.jwt.issuer (line"), "\(noIssuer)")
        #expect(noIssuer.contains("the issuer is required"), "\(noIssuer)")
        let badHeader = problems(
            "{ issuer: x, jwks: { url: \"https://id.example.com/jwks\" }, claimsToHeaders: { sub: grpc-user } }"
        )
        #expect(badHeader.contains("- auth.providers.idp.jwt.claimsToHeaders.sub (line"), "\(badHeader)")
    }

    /// A `jwt` provider appears in the OpenAPI document as an HTTP bearer scheme, and the
    /// document still validates.
    @Test func theOpenAPIDocumentNamesTheBearerScheme() async throws {
        let keys = try await Keys.make()
        let file = try Self.jwksFile([keys.ec])
        defer { try? FileManager.default.removeItem(atPath: file) }
        let config = try GatewayConfig.parse(
            yaml: demoConfigYAML(backendPort: 1, extra: Self.config(jwks: "{ file: \(file) }"))
        )
        let snapshot = try GatewaySnapshot(config: config, baseDirectory: repositoryRoot)
        let text = OpenAPIDocument.jsonText(of: snapshot)
        let document = try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
        let components = try #require(document["components"] as? [String: Any])
        let schemes = try #require(components["securitySchemes"] as? [String: [String: String]])
        #expect(schemes["idp"]?["type"] == "http")
        #expect(schemes["idp"]?["scheme"] == "bearer")
        #expect(schemes["idp"]?["bearerFormat"] == "JWT")
        let path = try OpenAPITests.file(text)
        defer { try? FileManager.default.removeItem(atPath: path) }
        let result = try await TestTool.run("openapi-spec-validator", [path])
        #expect(result.status == 0, "\(result.text)\(result.stderr)")
    }
}
