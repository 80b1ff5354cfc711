import Foundation
import Gateway
import Testing

/// `portico version`, `portico routes` and the route table `portico check` prints.
@Suite("portico version and routes")
struct RoutesCommandTests {
    @Test func versionPrintsTheBuildInfoVersion() async throws {
        let executable = try #require(ServeCommandTests.executable, "portico is not built")
        let result = try await runTool(executable, ["version"])
        #expect(result.status == 0)
        #expect(result.text == PorticoVersion.current + "\n")
    }

    @Test func routesAndCheckPrintTheRouteTable() async throws {
        let executable = try #require(ServeCommandTests.executable, "portico is not built")
        let config = NSTemporaryDirectory() + "portico-routes-\(UUID().uuidString).yaml"
        try """
        protos: [\(repositoryRoot)/Protos/demo.binpb]
        backends:
          demo: { endpoints: [127.0.0.1:1] }
        http:
          rules:
            - selector: demo.user.v1.UserService.GetUser
              get: /v1/people/{id}
        """.write(toFile: config, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: config) }
        let routes = try await runTool(executable, ["routes", "--config", config])
        #expect(routes.status == 0, "\(routes.stderr)")
        let lines = routes.text.split(separator: "\n").map(String.init)
        #expect(lines.contains("  GET /v1/people/{id}  demo.user.v1.UserService/GetUser  [backend demo, yaml]"))
        #expect(
            lines.contains("  POST /v1/chat  demo.chat.v1.ChatService/TextChat  [backend demo, body *, annotation]")
        )
        #expect(!lines.contains { $0.contains("/v1/users/{id}") }, "the rule replaced the annotation")
        let check = try await runTool(executable, ["check", "--config", config])
        #expect(check.status == 0)
        #expect(check.text.contains("routes:\n" + lines.joined(separator: "\n")), "\(check.text)")
        let broken = try await runTool(executable, ["routes", "--config", config + ".missing"])
        #expect(broken.status == 1)
    }
}
