import DemoServices
import NIOHTTP1
import Testing

/// DNS discovery and health checks run once per process, whatever the number of event loops,
/// and every loop follows what they publish.
@Suite("Cluster monitor: once per process")
struct ClusterMonitorTests {
    @Test func namesAreResolvedOnOneEventLoopOnly() async throws {
        let resolver = ScriptedResolver(["pods.test": .success(["127.0.0.1", "127.0.0.2"])])
        try await withBackends(
            hosts: ["127.0.0.1", "127.0.0.2"],
            endpoints: "[pods.test:PORT]",
            resolver: resolver,
            backendExtra: "dns: { refreshInterval: 20ms }",
            eventLoops: 2
        ) { harness in
            try await resolver.waitForLookups(10)
            #expect(resolver.loops == 1, "lookups came from \(resolver.loops) event loops")
            // Both loops follow the one answer: calls from two connections (one per loop, as the
            // gateway assigns connections to loops in turn) reach both pods.
            let first = try await harness.client()
            let second = try await harness.client()
            defer {
                Task {
                    await first.close()
                    await second.close()
                }
            }
            for _ in 0..<20 {
                #expect(try await first.send(.GET, "/v1/users/1").status == 200)
                #expect(try await second.send(.GET, "/v1/users/1").status == 200)
            }
            #expect(harness.getUserCounts == [20, 20])
        }
    }

    @Test func healthChecksRunOncePerIntervalWhateverTheLoopCount() async throws {
        try await withBackends(
            count: 1,
            backendExtra: "healthCheck: { interval: 100ms, timeout: 1s }",
            eventLoops: 2
        ) { harness in
            // Let the first check settle, then count the checks of one second.
            try await Task.sleep(for: .milliseconds(150))
            let before = harness.observers[0].calls(method: "Check")
            try await Task.sleep(for: .seconds(1))
            let checks = harness.observers[0].calls(method: "Check") - before
            // One monitor: about 10 in a second. A monitor per event loop would make about 20.
            #expect((8...13).contains(checks), "\(checks) health checks in one second at a 100 ms interval")
        }
    }
}
