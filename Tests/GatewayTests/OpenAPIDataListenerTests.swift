import Foundation
import Gateway
import NIOHTTP1
import Testing

/// `openapi: { path: /openapi.json }`: the document is served on the data listener too, at that
/// path only, for GET and HEAD; the path may not shadow a route.
@Suite("OpenAPI on the data listener")
struct OpenAPIDataListenerTests {
    @Test func theDocumentIsServedAtTheConfiguredPath() async throws {
        try await withGateway(extraConfig: "openapi: { path: /openapi.json }") { harness in
            let client = try await harness.client()
            let document = try await client.send(.GET, "/openapi.json")
            #expect(document.status == 200)
            #expect(document.headers.first(name: "content-type") == "application/json")
            #expect(document.text == OpenAPIDocument.jsonText(of: harness.gateway.snapshot))
            #expect(try document.jsonObject()["openapi"] as? String == "3.1.0")
            let head = try await client.send(.HEAD, "/openapi.json")
            #expect(head.status == 200)
            #expect(head.body.isEmpty)
            let post = try await client.send(.POST, "/openapi.json", body: "{}")
            #expect(post.status == 405)
            #expect(post.headers.first(name: "allow") == "GET, HEAD")
            #expect(try await client.send(.GET, "/openapi.json/x").status == 404)
            // The connection serves routes as before.
            #expect(try await client.send(.GET, "/v1/users/1").status == 200)
            await client.close()
        }
    }

    @Test func withoutTheSettingThePathIsNotARoute() async throws {
        try await withGateway { harness in
            let client = try await harness.client()
            #expect(try await client.send(.GET, "/openapi.json").status == 404)
            await client.close()
        }
    }

    @Test func thePathMustNotShadowARoute() throws {
        func problems(_ openapi: String) -> String { demoConfigProblems("openapi: \(openapi)") }
        #expect(problems("{ path: /openapi.json }") == "")
        #expect(problems("{ path: /v1/users/7 }").contains("openapi.path: /v1/users/7 is a route's path"))
        #expect(problems("{ path: openapi.json }").contains("openapi.path"))
        #expect(problems("{ path: /a?b }").contains("openapi.path"))
        #expect(problems("{ where: /x }").contains("openapi.where"))
    }
}
