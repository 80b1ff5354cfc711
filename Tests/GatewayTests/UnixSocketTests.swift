import DemoServices
import Foundation
import Gateway
import NIOCore
import NIOHTTP1
import Testing

/// `endpoints: [unix:<path>]`: a backend on a unix socket (a sidecar, a process on the same host).
@Suite("Unix-socket backends")
struct UnixSocketTests {
    @Test func callsReachABackendOnAUnixSocket() async throws {
        let directory = NSTemporaryDirectory() + "portico-unix-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let socket = directory + "/backend.sock"
        let backends = """
            backends:
              local:
                endpoints: [unix:\(socket)]
            services:
              demo.*: local
            """
        // Backend 0 listens on TCP but the config leaves it out: nothing may reach it.
        let config: ([Int]) -> String = { demoConfigYAML(backendPort: $0[0], replacingBackends: backends) }
        try await GatewayHarness.with(hosts: ["127.0.0.1", "unix:\(socket)"], config: config) { harness in
            let observer = harness.observers[1]
            let client = try await harness.client()
            defer { Task { await client.close() } }
            let user = try await client.send(.GET, "/v1/users/2")
            #expect(user.status == 200)
            #expect(user.text == #"{"id":2,"name":"Alan Turing"}"#)
            let echoed = try await client.send(.POST, "/v1/echo", body: #"{"fString":"over a unix socket"}"#)
            #expect(echoed.text == #"{"fString":"over a unix socket"}"#)
            #expect(observer.calls(method: "GetUser") == 1)
            #expect(harness.observer.calls(method: "GetUser") == 0)
        }
    }

    @Test func anEmptySocketPathIsALoadError() throws {
        let yaml = """
            protos: [Protos/demo.binpb]
            backends:
              local:
                endpoints: ["unix:"]
            """
        #expect(throws: ConfigError.self) { try GatewayConfig.parse(yaml: yaml) }
    }
}
