import Foundation
import Gateway
import NIOHTTP1
import Testing

/// The admin listener (`admin: { listen: … }`): liveness, readiness naming the backends that are
/// out, the route table, the effective configuration, Prometheus text, and its refusals; and that
/// admin and data listeners never reach each other.
@Suite("Admin endpoints")
struct AdminEndpointTests {
    static let admin = "admin: { listen: 127.0.0.1:0 }"

    @Test func healthzAnswersServing() async throws {
        try await withGateway(extraConfig: Self.admin) { harness in
            let admin = try await harness.adminClient()
            let response = try await admin.send(.GET, "/healthz")
            #expect(response.status == 200)
            #expect(response.headers.first(name: "content-type") == "application/json")
            #expect(response.text == "{\"status\":\"SERVING\"}\n")
            await admin.close()
        }
    }

    @Test func noAdminKeyMeansNoAdminListener() async throws {
        try await withGateway { harness in
            #expect(harness.gateway.adminPort == nil)
        }
    }

    /// Active health checks take the only endpoint out while its backend is down: `/readyz`
    /// names the backend; once it is back, the checks pass and it answers 200.
    @Test func readyzNamesABackendWhileItIsDownAndRecovers() async throws {
        try await withBackends(
            backendExtra: "healthCheck: { interval: 100ms, timeout: 200ms, unhealthyThreshold: 1 }",
            extraConfig: Self.admin
        ) { harness in
            let admin = try await harness.adminClient()
            #expect(try await eventually { try await admin.send(.GET, "/readyz").status == 200 })
            await harness.stop(0)
            #expect(try await eventually { try await admin.send(.GET, "/readyz").status == 503 })
            let down = try await admin.send(.GET, "/readyz").jsonObject()
            #expect(down["status"] as? String == "NOT_SERVING")
            let backends = try #require(down["backends"] as? [String: String])
            #expect(backends.keys.sorted() == ["demo"])
            #expect(backends["demo"]?.contains("health check failing") == true, "\(backends)")
            try await harness.restart(0)
            #expect(try await eventually { try await admin.send(.GET, "/readyz").status == 200 })
            #expect(try await admin.send(.GET, "/readyz").text == "{\"status\":\"SERVING\"}\n")
            await admin.close()
        }
    }

    /// Without health checks, passive ejection is what tells: an endpoint whose connects failed
    /// (and that no loop reached since) is out until its ejection time has passed.
    @Test func readyzCountsAnEjectedEndpointAsOut() async throws {
        try await withBackends(
            backendExtra: "ejection: { afterFailures: 1, time: 300ms, maxTime: 300ms }",
            extraConfig: Self.admin
        ) { harness in
            let admin = try await harness.adminClient()
            let client = try await harness.client()
            #expect(try await admin.send(.GET, "/readyz").status == 200, "nothing says the backend is down")
            await harness.stop(0)
            #expect(try await client.send(.GET, "/v1/users/1").status == 503)
            let down = try await admin.send(.GET, "/readyz")
            #expect(down.status == 503)
            #expect(down.text.contains("ejected after 1 failed connects"), "\(down.text)")
            try await harness.restart(0)
            #expect(try await eventually { try await admin.send(.GET, "/readyz").status == 200 })
            await client.close()
            await admin.close()
        }
    }

    @Test func routesListsTheLiveTableWithItsSources() async throws {
        try await withGateway(
            extraConfig: """
                \(Self.admin)
                http:
                  rules:
                    - selector: demo.user.v1.UserService.GetUser
                      get: /v1/people/{id}
                """
        ) { harness in
            let admin = try await harness.adminClient()
            let response = try await admin.send(.GET, "/routes")
            #expect(response.status == 200)
            let routes = try #require(
                try JSONSerialization.jsonObject(with: Data(response.body)) as? [[String: String]]
            )
            #expect(routes.count == harness.gateway.snapshot.plans.count)
            let people = try #require(routes.first { $0["template"] == "/v1/people/{id}" })
            #expect(
                people == [
                    "verb": "GET", "template": "/v1/people/{id}", "grpc_method": "demo.user.v1.UserService/GetUser",
                    "backend": "demo", "body": "", "response_body": "", "source": "yaml",
                ]
            )
            // The rule replaces the annotation of GetUser.
            #expect(!routes.contains { $0["template"] == "/v1/users/{id}" })
            let nested = try #require(routes.first { $0["template"] == "/v1/echo/{f_string}:nested" })
            #expect(nested["body"] == "nested")
            #expect(nested["source"] == "annotation")
            #expect(
                routes.contains {
                    $0["template"] == "/v1/echo/nested/{nested.label}" && $0["response_body"] == "nested"
                }
            )
            #expect(routes.contains { $0["template"] == "/v1/chat" && $0["body"] == "*" && $0["verb"] == "POST" })
            await admin.close()
        }
    }

    @Test func configShowsDefaultsAndNoKeyMaterial() async throws {
        let pki = NSTemporaryDirectory() + "portico-admin-tls-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: pki) }
        let ca = try await TestCertificateAuthority.create(in: pki, name: "ca")
        let leaf = try await ca.issue("portico", subjectAltNames: ["IP:127.0.0.1"])
        let keyText = try String(contentsOfFile: leaf.privateKey, encoding: .utf8)
        try await withGateway(extraConfig: "\(Self.admin)\ntls: { cert: \(leaf.certificate), key: \(leaf.privateKey) }")
        {
            harness in
            let admin = try await harness.adminClient()
            let response = try await admin.send(.GET, "/config")
            #expect(response.status == 200)
            let config = try response.jsonObject()
            let limits = try #require(config["limits"] as? [String: Any])
            #expect(limits["maxRequestBodyBytes"] as? Int == 4_194_304)
            #expect(limits["idleTimeoutMs"] as? Int == 60_000)
            #expect((config["shutdown"] as? [String: Any])?["gracePeriodMs"] as? Int == 25_000)
            #expect(config["watch"] as? Bool == false)
            let backend = try #require((config["backends"] as? [String: Any])?["demo"] as? [String: Any])
            #expect(backend["timeoutMs"] as? Int == 5_000)
            #expect(backend["balancing"] as? String == "round-robin")
            #expect((backend["ejection"] as? [String: Any])?["afterFailures"] as? Int == 2)
            let tls = try #require(config["tls"] as? [String: String])
            #expect(tls == ["cert": leaf.certificate, "key": leaf.privateKey])
            #expect(!response.text.contains("PRIVATE KEY"))
            #expect(!response.text.contains(String(keyText.split(separator: "\n")[1].prefix(40))))
            await admin.close()
        }
    }

    @Test func metricsAreInPrometheusTextFormat() async throws {
        try await withGateway(extraConfig: Self.admin) { harness in
            let admin = try await harness.adminClient()
            let response = try await admin.send(.GET, "/metrics")
            #expect(response.status == 200)
            #expect(response.headers.first(name: "content-type") == "text/plain; version=0.0.4; charset=utf-8")
            #expect(response.text.contains("portico_build_info{version=\"\(PorticoVersion.current)\"} 1"))
            let timestamp = try #require(
                response.text.split(separator: "\n")
                    .first { $0.hasPrefix("portico_config_last_reload_success_timestamp_seconds ") }
            )
            let seconds = try #require(Double(timestamp.split(separator: " ")[1]))
            #expect(abs(seconds - Date().timeIntervalSince1970) < 120, "set at start")
            await admin.close()
        }
    }

    @Test func wrongMethodIs405WithAllowAndUnknownPathIs404() async throws {
        try await withGateway(extraConfig: Self.admin) { harness in
            let admin = try await harness.adminClient()
            let get = try await admin.send(.GET, "/reload")
            #expect(get.status == 405)
            #expect(get.headers.first(name: "allow") == "POST")
            let post = try await admin.send(.POST, "/healthz", body: "")
            #expect(post.status == 405)
            #expect(post.headers.first(name: "allow") == "GET")
            let missing = try await admin.send(.GET, "/v1/users/1")
            #expect(missing.status == 404)
            #expect(try missing.jsonObject()["error"] as? String == "no admin endpoint /v1/users/1")
            #expect(try await admin.send(.GET, "/healthz?verbose=1").status == 200)
            // The data listener serves routes only.
            let data = try await harness.client()
            #expect(try await data.send(.GET, "/healthz").status == 404)
            #expect(try await data.send(.GET, "/v1/users/1").status == 200)
            await data.close()
            await admin.close()
        }
    }

    @Test func reloadWithoutAFileIs409() async throws {
        try await withGateway(extraConfig: Self.admin) { harness in
            let admin = try await harness.adminClient()
            let response = try await admin.send(.POST, "/reload", body: "")
            #expect(response.status == 409)
            await admin.close()
        }
    }
}

/// Whether `condition` holds within `limit`, polled every 20 ms.
func eventually(within limit: Duration = .seconds(10), _ condition: () async throws -> Bool) async throws -> Bool {
    let deadline = ContinuousClock.now + limit
    while ContinuousClock.now < deadline {
        if try await condition() { return true }
        try await Task.sleep(for: .milliseconds(20))
    }
    return try await condition()
}
