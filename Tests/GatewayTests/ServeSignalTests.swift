import DemoServices
import Foundation
import NIOHTTP1
import Testing

/// `portico serve` stopped as Kubernetes stops it: SIGTERM during a 2-second call lets the call
/// finish 200 while new connections are refused and `/readyz` is 503, then the process exits 0
/// within the grace period; a second signal exits at once.
@Suite("portico serve signals")
struct ServeSignalTests {
    /// A started `portico serve` with its log file, stopped by ``stop()``.
    struct Served {
        let process: Process
        let directory: String
        var log: String { directory + "/portico.log" }
        var config: String { directory + "/gateway.yaml" }

        /// The configuration: the demo backend at `port` with `timeout`, and `extra` lines.
        static func yaml(port: Int, gracePeriod: String, timeout: String = "30s", extra: String = "") -> String {
            """
            listen: 127.0.0.1:0
            admin: { listen: 127.0.0.1:0 }
            shutdown: { gracePeriod: \(gracePeriod) }
            protos: [\(repositoryRoot)/Protos/demo.binpb]
            backends:
              demo: { endpoints: [127.0.0.1:\(port)], timeout: \(timeout) }
            \(extra)
            """
        }

        /// Starts `portico serve` on a configuration for the demo backend at `backendPort`.
        init(executable: String, backendPort: Int, gracePeriod: String) throws {
            directory = NSTemporaryDirectory() + "portico-signals-\(UUID().uuidString)"
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            let config = directory + "/gateway.yaml"
            try Self.yaml(port: backendPort, gracePeriod: gracePeriod)
                .write(toFile: config, atomically: true, encoding: .utf8)
            process = Process()
            process.executableURL = URL(fileURLWithPath: executable)
            process.arguments = ["serve", "--config", config]
            _ = FileManager.default.createFile(atPath: directory + "/portico.log", contents: nil)
            process.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: directory + "/portico.log"))
            try process.run()
        }

        /// The port a log line `<marker>…:PORT` or `<marker> PORT` names, waiting up to 10 s.
        func port(after marker: String) async throws -> Int {
            for _ in 0..<200 {
                let text = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
                if let line = text.split(separator: "\n").first(where: { $0.contains(marker) }),
                    let port = Int(line.reversed().prefix { $0.isNumber }.reversed().map(String.init).joined())
                {
                    return port
                }
                try await Task.sleep(for: .milliseconds(50))
            }
            throw TestFailure("portico never logged \(marker)")
        }

        /// The exit status once the process ended within `limit`, or nil.
        func exitStatus(within limit: Duration) async -> Int32? {
            let deadline = ContinuousClock.now + limit
            while process.isRunning, ContinuousClock.now < deadline {
                try? await Task.sleep(for: .milliseconds(20))
            }
            return process.isRunning ? nil : process.terminationStatus
        }

        func stop() {
            if process.isRunning {
                process.terminate()
                process.waitUntilExit()
            }
            try? FileManager.default.removeItem(atPath: directory)
        }
    }

    @Test func sigtermDuringATwoSecondCallLetsItFinishThenExitsZero() async throws {
        let executable = try #require(ServeCommandTests.executable, "portico is not built")
        try await withGateway { harness in
            let served = try Served(executable: executable, backendPort: harness.backend.port, gracePeriod: "10s")
            defer { served.stop() }
            let dataPort = try await served.port(after: "portico listening on")
            let admin = try await TestHTTPClient.connect(port: try await served.port(after: "admin listener on port"))
            #expect(try await admin.send(.GET, "/readyz").status == 200)
            let client = try await TestHTTPClient.connect(port: dataPort)
            // 40 messages the backend reads 50 ms apart: a call of about 2 s.
            let upload = Task { try await client.send(.POST, "/v1/uploads", body: DrainTests.slowUpload(messages: 40)) }
            #expect(try await eventually { harness.observer.calls(method: "UpLoad") == 1 })
            let signalled = ContinuousClock.now
            kill(served.process.processIdentifier, SIGTERM)

            #expect(try await eventually { try await admin.send(.GET, "/readyz").status == 503 })
            #expect(try await admin.send(.GET, "/readyz").text.contains("\"draining\":true"))
            #expect(
                try await eventually { (try? await TestHTTPClient.connect(port: dataPort)) == nil },
                "new connections are refused"
            )
            let response = try await upload.value
            #expect(response.status == 200, "\(response.text)")
            #expect(response.headers.first(name: "connection") == "close")
            #expect(await served.exitStatus(within: .seconds(10)) == 0)
            #expect(ContinuousClock.now - signalled < .seconds(10), "within the grace period")
            #expect(harness.observer.recorded.isEmpty, "nothing was cancelled at the backend")
            await client.close()
            await admin.close()
        }
    }

    @Test func aSecondSignalExitsAtOnce() async throws {
        let executable = try #require(ServeCommandTests.executable, "portico is not built")
        try await withGateway { harness in
            let served = try Served(executable: executable, backendPort: harness.backend.port, gracePeriod: "60s")
            defer { served.stop() }
            let dataPort = try await served.port(after: "portico listening on")
            let chat = try await ChatSession.open(port: dataPort)
            try await chat.say("hello")
            #expect(await chat.waitForLines(1, within: .seconds(5)))
            kill(served.process.processIdentifier, SIGTERM)
            // The chat holds the drain open for its 60-second grace period...
            #expect(await served.exitStatus(within: .milliseconds(500)) == nil)
            kill(served.process.processIdentifier, SIGTERM)
            // ...and a second SIGTERM ends it now, as a shell reports a process SIGTERM killed.
            #expect(await served.exitStatus(within: .seconds(5)) == 128 + SIGTERM)
            await chat.close()
        }
    }

    /// SIGHUP adds a route and changes the backend while a chat begun before keeps going and
    /// ends OK.
    @Test func sighupReloadsWhileAChatKeepsGoing() async throws {
        let executable = try #require(ServeCommandTests.executable, "portico is not built")
        try await withGateway { harness in
            let served = try Served(executable: executable, backendPort: harness.backend.port, gracePeriod: "5s")
            defer { served.stop() }
            let dataPort = try await served.port(after: "portico listening on")
            let admin = try await TestHTTPClient.connect(port: try await served.port(after: "admin listener on port"))
            let client = try await TestHTTPClient.connect(port: dataPort)
            let chat = try await ChatSession.open(port: dataPort)
            try await chat.say("before")
            #expect(await chat.waitForLines(1, within: .seconds(5)))
            try Served.yaml(
                port: harness.backend.port,
                gracePeriod: "5s",
                timeout: "20s",
                extra: ReloadTests.peopleRule
            )
            .write(toFile: served.config, atomically: true, encoding: .utf8)
            kill(served.process.processIdentifier, SIGHUP)
            #expect(try await eventually { try await client.send(.GET, "/v1/people/1").status == 200 })
            let config = try await admin.send(.GET, "/config").jsonObject()
            let backend = (config["backends"] as? [String: Any])?["demo"] as? [String: Any]
            #expect(backend?["timeoutMs"] as? Int == 20_000, "the backend changed")
            try await chat.say("after")
            try await chat.end()
            #expect(await chat.waitForEnd(within: .seconds(5)) == 200)
            #expect(chat.lines == ["{\"message\":\"you said: before\"}", "{\"message\":\"you said: after\"}"])
            await chat.close()
            await client.close()
            await admin.close()
        }
    }
}
