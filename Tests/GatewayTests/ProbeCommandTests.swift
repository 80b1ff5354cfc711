import Foundation
import Gateway
import Testing

/// `portico probe URL`, the health check the container image runs without curl: exit 0 on a
/// 2xx answer, 1 on any other answer (printing it) or on no answer.
@Suite("portico probe")
struct ProbeCommandTests {
    @Test func exitsZeroWhileReadyAndOneWithTheReasonWhileNot() async throws {
        let executable = try #require(ServeCommandTests.executable, "portico is not built")
        try await withBackends(
            backendExtra: "healthCheck: { interval: 100ms, timeout: 200ms, unhealthyThreshold: 1 }",
            extraConfig: AdminEndpointTests.admin
        ) { harness in
            let port = try #require(harness.gateway.adminPort)
            let url = "http://127.0.0.1:\(port)/readyz"
            #expect(try await eventually { try await runTool(executable, ["probe", url]).status == 0 })
            let ready = try await runTool(executable, ["probe", url])
            #expect(ready.text == "200 {\"status\":\"SERVING\"}\n")
            await harness.stop(0)
            #expect(try await eventually { try await runTool(executable, ["probe", url]).status == 1 })
            let down = try await runTool(executable, ["probe", url])
            #expect(down.text.hasPrefix("503 {\"status\":\"NOT_SERVING\",\"backends\":{\"demo\":"), "\(down.text)")
            let missing = try await runTool(executable, ["probe", "http://127.0.0.1:\(port)/nowhere"])
            #expect(missing.status == 1)
            #expect(missing.text.hasPrefix("404 "))
        }
    }

    @Test func noListenerIsOneWithTheErrorOnStderr() async throws {
        let executable = try #require(ServeCommandTests.executable, "portico is not built")
        let result = try await runTool(executable, ["probe", "--timeout", "1", "http://127.0.0.1:1/healthz"])
        #expect(result.status == 1)
        #expect(result.stderr.hasPrefix("probe http://127.0.0.1:1/healthz: "), "\(result.stderr)")
        #expect(result.text.isEmpty)
    }

    /// A server that accepts and never answers: the probe gives up after `--timeout`.
    @Test func aSilentServerTimesOut() async throws {
        let executable = try #require(ServeCommandTests.executable, "portico is not built")
        let silent = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(silent) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(silent, $0, length) == 0 && getsockname(silent, $0, &length) == 0
            }
        }
        #expect(bound && listen(silent, 4) == 0)
        let port = Int(UInt16(bigEndian: address.sin_port))
        let started = ContinuousClock.now
        let result = try await runTool(executable, ["probe", "--timeout", "0.5", "http://127.0.0.1:\(port)/readyz"])
        #expect(result.status == 1)
        #expect(result.stderr.contains("no answer in time"), "\(result.stderr)")
        #expect(ContinuousClock.now - started < .seconds(5))
    }

    @Test func refusesAnythingButAPlainHTTPURL() async throws {
        let executable = try #require(ServeCommandTests.executable, "portico is not built")
        for url in ["https://127.0.0.1:9901/readyz", "http://127.0.0.1:99999/", "http:///readyz"] {
            let result = try await runTool(executable, ["probe", url])
            #expect(result.status == 64, "\(url): a usage error")
            #expect(result.stderr.contains("Error: \(url)"), "\(result.stderr)")
        }
    }
}
