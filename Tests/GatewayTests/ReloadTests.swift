import DemoServices
import Foundation
import Gateway
import NIOHTTP1
import Testing

/// `POST /reload` on the admin listener: a new route and a changed backend go live while a chat
/// begun before keeps going and ends OK; a broken file is refused with every problem and the old
/// routes keep serving; keys only a restart applies are named; every reload is counted.
@Suite("Reload")
struct ReloadTests {
    /// A configuration file in a fresh folder, removed by ``remove()``.
    struct ConfigFile {
        let directory = NSTemporaryDirectory() + "portico-reload-\(UUID().uuidString)"
        var path: String { directory + "/gateway.yaml" }

        init() throws {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        }

        func write(_ text: String) throws {
            try text.write(toFile: path, atomically: true, encoding: .utf8)
        }

        func remove() {
            try? FileManager.default.removeItem(atPath: directory)
        }
    }

    /// A configuration for the demo backend on `port`: absolute descriptor path (the file is
    /// not in the repository), `timeout` for the backend, `extra` top-level lines.
    static func yaml(port: some CustomStringConvertible, timeout: String = "5s", extra: String = "") -> String {
        """
        listen: 127.0.0.1:0
        admin: { listen: 127.0.0.1:0 }
        protos: [\(repositoryRoot)/Protos/demo.binpb]
        backends:
          demo:
            endpoints: [127.0.0.1:\(port)]
            timeout: \(timeout)
        \(extra)
        """
    }

    static let peopleRule = """
        http:
          rules:
            - selector: demo.user.v1.UserService.GetUser
              get: /v1/people/{id}
              additional_bindings: [ { get: "/v1/users/{id}" } ]
        """

    @Test func reloadAddsARouteAndChangesABackendWhileAChatKeepsGoing() async throws {
        let file = try ConfigFile()
        defer { file.remove() }
        try await withFileGateway(path: file.path, template: Self.yaml(port: "PORT")) { harness in
            let admin = try await harness.adminClient()
            let client = try await harness.client()
            #expect(try await client.send(.GET, "/v1/people/1").status == 404)
            let chat = try await ChatSession.open(port: harness.gatewayPort)
            try await chat.say("before")
            #expect(await chat.waitForLines(1, within: .seconds(5)))

            try file.write(Self.yaml(port: harness.backend.port, timeout: "6s", extra: Self.peopleRule))
            let response = try await admin.send(.POST, "/reload", body: "")
            #expect(response.status == 200, "\(response.text)")
            let summary = try response.jsonObject()
            #expect(summary["status"] as? String == "reloaded")
            let routes = try #require(summary["routes"] as? [String: [String]])
            #expect(routes["added"] == ["GET /v1/people/{id} -> demo.user.v1.UserService/GetUser"])
            #expect(routes["removed"] == [])
            let backends = try #require(summary["backends"] as? [String: [String]])
            #expect(backends == ["added": [], "removed": [], "changed": ["demo"], "kept": []])
            #expect(summary["restart_required"] as? [String] == [])

            #expect(try await client.send(.GET, "/v1/people/1").text == #"{"id":1,"name":"Ada Lovelace"}"#)
            try await chat.say("after")
            #expect(await chat.waitForLines(2, within: .seconds(5)))
            try await chat.end()
            #expect(chat.lines == ["{\"message\":\"you said: before\"}", "{\"message\":\"you said: after\"}"])
            #expect(await chat.waitForEnd(within: .seconds(5)) == 200)

            // The same file again: nothing added, the backend kept (and its connections).
            let again = try await admin.send(.POST, "/reload", body: "").jsonObject()
            #expect((again["backends"] as? [String: [String]])?["kept"] == ["demo"])
            let metrics = try await admin.send(.GET, "/metrics").text
            #expect(metrics.contains("portico_config_reloads_total{result=\"success\"} 2"), "\(metrics)")
            await chat.close()
            await client.close()
            await admin.close()
        }
    }

    @Test func aBrokenFileIsRefusedWithEveryProblemAndTheOldRoutesKeepServing() async throws {
        let file = try ConfigFile()
        defer { file.remove() }
        try await withFileGateway(path: file.path, template: Self.yaml(port: "PORT")) { harness in
            let admin = try await harness.adminClient()
            let client = try await harness.client()
            try file.write(
                """
                protos: [\(repositoryRoot)/Protos/demo.binpb]
                backends:
                  demo: { endpoints: [127.0.0.1:notaport] }
                  other: { endpoints: [127.0.0.1:1], timeout: soon }
                """
            )
            let response = try await admin.send(.POST, "/reload", body: "")
            #expect(response.status == 400)
            let body = try response.jsonObject()
            #expect(body["status"] as? String == "rejected")
            #expect(body["message"] as? String == "\(file.path) has problems")
            let problems = try #require(body["problems"] as? [[String: String]])
            #expect(
                problems.map { $0["path"] } == [
                    "backends.demo.endpoints[0]", "backends.demo.endpoints", "backends.other.timeout",
                ]
            )
            #expect(problems[0]["message"] == "invalid port in \"127.0.0.1:notaport\"")
            #expect(problems[0]["line"]?.hasPrefix("3:") == true)
            #expect(try await client.send(.GET, "/v1/users/1").status == 200, "the old configuration keeps serving")
            #expect(try await admin.send(.GET, "/routes").text.contains("/v1/users/{id}"))
            let metrics = try await admin.send(.GET, "/metrics").text
            #expect(metrics.contains("portico_config_reloads_total{result=\"failure\"} 1"), "\(metrics)")
            #expect(metrics.contains("portico_config_reloads_total{result=\"success\"} 0"), "\(metrics)")
            await client.close()
            await admin.close()
        }
    }

    @Test func aChangedListenOrAdminAddressIsReportedAndNotApplied() async throws {
        let file = try ConfigFile()
        defer { file.remove() }
        try await withFileGateway(path: file.path, template: Self.yaml(port: "PORT")) { harness in
            let admin = try await harness.adminClient()
            let changed = Self.yaml(port: harness.backend.port)
                .replacingOccurrences(
                    of: "listen: 127.0.0.1:0\nadmin: { listen: 127.0.0.1:0 }",
                    with: "listen: 127.0.0.1:1\nadmin: { listen: 127.0.0.1:2 }"
                )
            #expect(changed != Self.yaml(port: harness.backend.port))
            try file.write(changed)
            let response = try await admin.send(.POST, "/reload", body: "")
            #expect(response.status == 200)
            #expect(try response.jsonObject()["restart_required"] as? [String] == ["listen", "admin"])
            let config = try await admin.send(.GET, "/config").jsonObject()
            #expect(config["listen"] as? String == "127.0.0.1:0", "the running address stays")
            #expect(try await admin.send(.GET, "/healthz").status == 200)
            await admin.close()
        }
    }
}

/// One demo backend and a gateway started from the file `path` (so it can reload), whose YAML is
/// `template` with `PORT` standing for the backend's port.
func withFileGateway<T>(
    path: String,
    template: String,
    _ body: (GatewayHarness) async throws -> T
) async throws -> T {
    try await GatewayHarness.with(
        config: { template.replacingOccurrences(of: "PORT", with: "\($0[0])") },
        configFile: path,
        body
    )
}
