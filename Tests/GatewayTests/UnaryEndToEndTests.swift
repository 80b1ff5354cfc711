import Foundation
import Gateway
import NIOCore
import NIOHTTP1
import Routing
import Testing

/// The README's curl session, driven through a real socket against the real demo backend.
@Suite("Unary calls end to end")
struct UnaryEndToEndTests {
    @Test func getUserReturnsTheUserAsJSON() async throws {
        try await withGateway { harness in
            let client = try await harness.client()
            defer { Task { await client.close() } }
            let response = try await client.send(.GET, "/v1/users/1")
            #expect(response.status == 200)
            #expect(response.headers.first(name: "content-type") == "application/json")
            let json = try response.jsonObject()
            #expect(json["id"] as? Int == 1)
            #expect((json["name"] as? String)?.isEmpty == false)
        }
    }

    @Test func unknownUserIsA404WithTheStatusBody() async throws {
        try await withGateway { harness in
            let client = try await harness.client()
            defer { Task { await client.close() } }
            let response = try await client.send(.GET, "/v1/users/9")
            #expect(response.status == 404)
            let json = try response.jsonObject()
            #expect(json["code"] as? Int == 5)
            #expect((json["message"] as? String)?.contains("9") == true)
            #expect(json["details"] as? [Any] != nil)
        }
    }

    @Test func nonNumericIdIsA400() async throws {
        try await withGateway { harness in
            let client = try await harness.client()
            defer { Task { await client.close() } }
            let response = try await client.send(.GET, "/v1/users/abc")
            #expect(response.status == 400)
            #expect(try response.jsonObject()["code"] as? Int == 3)
        }
    }

    @Test func appidAndAppkeyHeadersReachTheBackend() async throws {
        try await withGateway { harness in
            let client = try await harness.client()
            defer { Task { await client.close() } }
            let wrong = try await client.send(.GET, "/v1/users/2", headers: [("appid", "itxs"), ("appkey", "wrong")])
            #expect(wrong.status == 401)
            #expect(try wrong.jsonObject()["code"] as? Int == 16)
            let right = try await client.send(
                .GET,
                "/v1/users/2",
                headers: [("appid", "itxs"), ("appkey", "11223344")]
            )
            #expect(right.status == 200)
            #expect(try right.jsonObject()["id"] as? Int == 2)
        }
    }

    @Test func yamlRuleAddsABindingToTheAnnotatedMethod() async throws {
        let rule = """
            http:
              rules:
                - selector: demo.user.v1.UserService.GetUser
                  get: /v1/users/{id}
                  additional_bindings:
                    - get: /v1/people/{id}
            """
        try await withGateway(extraConfig: rule) { harness in
            let client = try await harness.client()
            defer { Task { await client.close() } }
            let response = try await client.send(.GET, "/v1/people/3")
            #expect(response.status == 200)
            #expect(try response.jsonObject()["id"] as? Int == 3)
        }
    }

    @Test func unknownPathIs404AndWrongVerbIs405() async throws {
        try await withGateway { harness in
            let client = try await harness.client()
            defer { Task { await client.close() } }
            let missing = try await client.send(.GET, "/v1/nothing/here")
            #expect(missing.status == 404)
            #expect(try missing.jsonObject()["code"] as? Int == 5)
            let wrongVerb = try await client.send(.DELETE, "/v1/users/1")
            #expect(wrongVerb.status == 405)
            #expect(try wrongVerb.jsonObject()["message"] as? String != nil)
            // The connection is still usable afterwards (keep-alive).
            #expect(try await client.send(.GET, "/v1/users/1").status == 200)
        }
    }
}
