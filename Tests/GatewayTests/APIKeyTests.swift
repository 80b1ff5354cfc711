import DemoServices
import Foundation
import Gateway
import NIOHTTP1
import Testing

/// `auth` with `apiKey` providers: the tutorial's `appid`/`appkey` pair checked at the edge
/// (401 with `WWW-Authenticate` and the backend never called), the key's id forwarded as
/// `x-portico-api-key-id`, keys from a file or the environment, query-parameter keys, and
/// anonymous methods.
@Suite("API keys")
struct APIKeyTests {
    /// A keys file with the tutorial's pair and a key without an id; removed by the caller.
    static func keysFile() throws -> String {
        let path = NSTemporaryDirectory() + "portico-keys-\(UUID().uuidString).txt"
        try "# the tutorial's app\nitxs:11223344\n\n  solo-key  \n".write(
            toFile: path,
            atomically: true,
            encoding: .utf8
        )
        return path
    }

    static func config(keys: String) -> String {
        """
        auth:
          providers:
            appkeys:
              apiKey: { header: appkey, idHeader: appid, keys: { file: \(keys) } }
            querykeys:
              apiKey: { query: key, keys: { file: \(keys) } }
          rules:
            - selector: demo.user.v1.UserService.*
              requires: [appkeys]
            - selector: demo.echo.v1.EchoService.Metadata
              requires: [appkeys, querykeys]
            - selector: "*"
              allowAnonymous: true
        """
    }

    @Test func theTutorialsPairIsCheckedAtTheEdge() async throws {
        let keys = try Self.keysFile()
        defer { try? FileManager.default.removeItem(atPath: keys) }
        try await withGateway(extraConfig: Self.config(keys: keys)) { harness in
            let client = try await harness.client()
            let missing = try await client.send(.GET, "/v1/users/1")
            #expect(missing.status == 401)
            #expect(missing.headers.first(name: "www-authenticate") == #"APIKey realm="portico", header="appkey""#)
            #expect(try missing.jsonObject()["code"] as? Int == 16)
            let wrong = try await client.send(
                .GET,
                "/v1/users/1",
                headers: [("appid", "itxs"), ("appkey", "11223345")]
            )
            #expect(wrong.status == 401)
            #expect((try wrong.jsonObject()["message"] as? String)?.contains("invalid API key") == true)
            let shorter = try await client.send(.GET, "/v1/users/1", headers: [("appid", "itxs"), ("appkey", "1122")])
            #expect(shorter.status == 401)
            let otherID = try await client.send(
                .GET,
                "/v1/users/1",
                headers: [("appid", "nope"), ("appkey", "11223344")]
            )
            #expect(otherID.status == 401)
            #expect((try otherID.jsonObject()["message"] as? String)?.contains("appid header") == true)
            #expect(harness.observer.calls(method: "GetUser") == 0, "a refused request never reaches the backend")

            let right = try await client.send(
                .GET,
                "/v1/users/1",
                headers: [("appid", "itxs"), ("appkey", "11223344")]
            )
            #expect(right.status == 200)
            #expect(right.text == #"{"id":1,"name":"Ada Lovelace"}"#)
            #expect(harness.observer.calls(method: "GetUser") == 1)
            // Methods the rules leave anonymous need nothing.
            #expect(try await client.send(.GET, "/v1/echo?fString=x").status == 200)
            await client.close()
        }
    }

    /// The key's id reaches the backend; the key itself, the id header and a client's own
    /// `x-portico-api-key-id` do not. Any one provider of `requires` is enough.
    @Test func theKeysIDIsForwardedAndTheKeyIsNot() async throws {
        let keys = try Self.keysFile()
        defer { try? FileManager.default.removeItem(atPath: keys) }
        try await withGateway(extraConfig: Self.config(keys: keys)) { harness in
            let client = try await harness.client()
            let byHeader = try await client.send(
                .GET,
                "/v1/metadata",
                headers: [("appid", "itxs"), ("appkey", "11223344"), ("x-portico-api-key-id", "forged")]
            )
            #expect(byHeader.status == 200)
            let entries = try Self.entries(byHeader)
            #expect(entries.filter { $0.name == "x-portico-api-key-id" }.map(\.value) == ["itxs"])
            #expect(!entries.contains { $0.name == "appkey" || $0.name == "appid" })

            let byQuery = try await client.send(.GET, "/v1/metadata?key=solo-key")
            #expect(byQuery.status == 200, "\(byQuery.text)")
            #expect(try Self.entries(byQuery).filter { $0.name == "x-portico-api-key-id" }.map(\.value) == ["line-4"])

            let neither = try await client.send(.GET, "/v1/metadata?key=bad")
            #expect(neither.status == 401)
            #expect(
                neither.headers.first(name: "www-authenticate")
                    == #"APIKey realm="portico", header="appkey", APIKey realm="portico", query="key""#
            )
            await client.close()
        }
    }

    static func entries(_ response: TestResponse) throws -> [(name: String, value: String)] {
        let list = try response.jsonObject()["entries"] as? [[String: String]] ?? []
        return list.map { ($0["name"] ?? "", $0["value"] ?? "") }
    }

    /// Keys from the environment (comma- or newline-separated).
    @Test func keysFromTheEnvironment() async throws {
        setenv("PORTICO_TEST_KEYS", "ops:k-1,ci:k-2", 1)
        defer { unsetenv("PORTICO_TEST_KEYS") }
        let extra = """
            auth:
              providers:
                env: { apiKey: { header: x-api-key, keys: { env: PORTICO_TEST_KEYS } } }
              rules: [{ selector: "demo.user.v1.*", requires: [env] }]
            """
        try await withGateway(extraConfig: extra) { harness in
            let client = try await harness.client()
            #expect(try await client.send(.GET, "/v1/users/1", headers: [("x-api-key", "k-2")]).status == 200)
            #expect(try await client.send(.GET, "/v1/users/1", headers: [("x-api-key", "k-3")]).status == 401)
            await client.close()
        }
    }

    /// A WebSocket handshake is checked like any request: refused with the 401 itself.
    @Test func aWebSocketHandshakeNeedsTheKeyToo() async throws {
        let keys = try Self.keysFile()
        defer { try? FileManager.default.removeItem(atPath: keys) }
        let extra = """
            auth:
              providers: { appkeys: { apiKey: { header: appkey, keys: { file: \(keys) } } } }
              rules: [{ selector: demo.chat.v1.ChatService.TextChat, requires: [appkeys] }]
            """
        try await withGateway(extraConfig: extra) { harness in
            let refused = try await Self.handshake(port: harness.gatewayPort, extraHeaders: "")
            #expect(refused.hasPrefix("HTTP/1.1 401"), "\(refused)")
            let accepted = try await Self.handshake(port: harness.gatewayPort, extraHeaders: "appkey: 11223344\r\n")
            #expect(accepted.hasPrefix("HTTP/1.1 101"), "\(accepted)")
        }
    }

    /// The answer head to a WebSocket handshake for `/v1/chat`.
    static func handshake(port: Int, extraHeaders: String) async throws -> String {
        let client = try await RawTCPClient.connect(port: port)
        try await client.send(
            "GET /v1/chat HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\(extraHeaders)"
                + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
        )
        _ = try await eventually(within: .seconds(5)) { client.text.contains("\r\n\r\n") }
        let text = client.text
        await client.close()
        return text
    }

    @Test func problemsAreReportedWithTheirPaths() throws {
        let unknown = demoConfigProblems("auth: { rules: [{ selector: '*', requires: [nobody] }] }")
        #expect(unknown.contains(#"auth.rules[0].requires[0]: unknown provider "nobody""#), "\(unknown)")
        let missingFile = demoConfigProblems(
            "auth: { providers: { p: { apiKey: { header: k, keys: { file: /no/such/keys } } } }, rules: [{ selector: '*', requires: [p] }] }"
        )
        #expect(missingFile.contains("auth.providers.p.apiKey.keys.file: cannot read /no/such/keys"), "\(missingFile)")
        let both = demoConfigProblems(
            "auth: { providers: { p: { apiKey: { header: k, query: k, keys: { env: X } } } } }"
        )
        #expect(
            both.contains("auth.providers.p.apiKey.query (line") && both.contains("give either header or query"),
            "\(both)"
        )
        let noMethod = demoConfigProblems("auth: { rules: [{ selector: nothing.here.*, allowAnonymous: true }] }")
        #expect(noMethod.contains("auth.rules[0].selector: no routed method matches nothing.here.*"), "\(noMethod)")
        let twoKinds = demoConfigProblems("auth: { rules: [{ selector: '*', allowAnonymous: true, requires: [p] }] }")
        #expect(twoKinds.contains("auth.rules[0]"), "\(twoKinds)")
    }
}
