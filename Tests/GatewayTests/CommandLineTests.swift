import DemoServices
import Foundation
import NIOHTTP1
import Testing

/// `portico check` and `portico serve` as users run them: the built executable in its own
/// process.
@Suite("portico check and reload")
struct CommandLineTests {
    @Test func checkTitlesProblemsWithTheFileItChecked() async throws {
        let executable = try #require(ServeCommandTests.executable, "portico is not built")
        let config = NSTemporaryDirectory() + "staging-gateway-\(UUID().uuidString).yaml"
        try """
        protos: [\(repositoryRoot)/Protos/demo.binpb]
        backends:
          demo: { endpoints: [127.0.0.1:notaport] }
        """.write(toFile: config, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: config) }
        let result = try await runTool(executable, ["check", "--config", config])
        #expect(result.status == 1)
        #expect(result.stderr.hasPrefix("\(config) has problems\n"), "\(result.stderr)")
        #expect(result.stderr.contains("backends.demo.endpoints[0] (line 3:"))
        #expect(!result.stderr.contains("Gateway.yaml"))
    }

    /// SIGHUP reloads: a route added to the file is served without a restart; a broken file
    /// changes nothing, is logged with its problems, and the process keeps serving.
    @Test func sighupReloadsTheConfigurationAndABrokenOneChangesNothing() async throws {
        try await withGateway { harness in
            let directory = NSTemporaryDirectory() + "portico-reload-\(UUID().uuidString)"
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(atPath: directory) }
            let config = directory + "/gateway.yaml"
            func write(rules: String) throws {
                try """
                listen: 127.0.0.1:0
                protos: [\(repositoryRoot)/Protos/demo.binpb]
                backends:
                  demo: { endpoints: [127.0.0.1:\(harness.backend.port)] }
                \(rules)
                """.write(toFile: config, atomically: true, encoding: .utf8)
            }
            try write(rules: "")
            let log = directory + "/portico.log"
            let process = try startPortico(["serve", "--config", config], log: log)
            defer {
                process.terminate()
                process.waitUntilExit()
            }
            let client = try await TestHTTPClient.connect(port: try await Self.listeningPort(log: log))
            defer { Task { await client.close() } }
            #expect(try await client.send(.GET, "/v1/people/1").status == 404)

            try write(
                rules: "http: { rules: [ { selector: demo.user.v1.UserService.GetUser, get: \"/v1/people/{id}\" } ] }"
            )
            kill(process.processIdentifier, SIGHUP)
            #expect(try await Self.eventually { try await client.send(.GET, "/v1/people/1").status == 200 })
            #expect(try await client.send(.GET, "/v1/people/1").text == #"{"id":1,"name":"Ada Lovelace"}"#)

            try "backends: [not, a, mapping]".write(toFile: config, atomically: true, encoding: .utf8)
            kill(process.processIdentifier, SIGHUP)
            #expect(
                try await Self.eventually {
                    ((try? String(contentsOfFile: log, encoding: .utf8)) ?? "").contains("reload failed")
                }
            )
            #expect(process.isRunning)
            #expect(try await client.send(.GET, "/v1/people/1").status == 200, "the old configuration keeps serving")
            let logged = try String(contentsOfFile: log, encoding: .utf8)
            #expect(logged.contains("\(config) has problems"))
            #expect(logged.contains("backends (line 1:11): expected a mapping"))
        }
    }

    /// The port `portico serve` says it listens on (its log line `portico listening on ...:PORT`),
    /// waiting up to 10 s for it.
    static func listeningPort(log: String) async throws -> Int {
        let line = try await loggedLine(containing: "portico listening on", in: log)
        guard let port = line.split(separator: ":").last.flatMap({ Int($0.prefix { $0.isNumber }) }) else {
            throw TestFailure("no port in \(line)")
        }
        return port
    }

    /// Whether `condition` holds within 5 s.
    static func eventually(_ condition: () async throws -> Bool) async throws -> Bool {
        for _ in 0..<100 {
            if try await condition() { return true }
            try await Task.sleep(for: .milliseconds(50))
        }
        return false
    }
}
