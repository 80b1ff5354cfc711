import DemoServices
import NIOConcurrencyHelpers
import NIOCore
import NIOHTTP1
import Testing
import Upstream

/// DNS discovery and health checks run once per process, whatever the number of event loops,
/// and every loop follows what they publish.
@Suite("Cluster monitor: once per process")
struct ClusterMonitorTests {
    @Test func namesAreResolvedOnOneEventLoopOnly() async throws {
        let resolver = RecordingResolver(["pods.test": ["127.0.0.1", "127.0.0.2"]])
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
            defer { Task { await first.close(); await second.close() } }
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

/// A resolver with fixed answers that records how many lookups it made and on how many event
/// loops.
final class RecordingResolver: HostResolver {
    private let answers: [String: [String]]
    private let state = NIOLockedValueBox<(lookups: Int, loops: Set<ObjectIdentifier>)>((0, []))

    init(_ answers: [String: [String]]) {
        self.answers = answers
    }

    /// Lookups made so far.
    var lookups: Int { state.withLockedValue { $0.lookups } }
    /// The number of distinct event loops lookups were made for.
    var loops: Int { state.withLockedValue { $0.loops.count } }

    /// Waits (up to 5 s) until `count` lookups have been made.
    func waitForLookups(_ count: Int) async throws {
        let deadline = ContinuousClock.now + .seconds(5)
        while lookups < count {
            guard ContinuousClock.now < deadline else { throw ScriptedFailure("only \(lookups) of \(count) lookups") }
            try await Task.sleep(for: .milliseconds(5))
        }
    }

    func addresses(of host: String, port: Int, on eventLoop: any EventLoop) -> EventLoopFuture<[SocketAddress]> {
        state.withLockedValue {
            $0.lookups += 1
            $0.loops.insert(ObjectIdentifier(eventLoop))
        }
        guard let ips = answers[host] else { return eventLoop.makeFailedFuture(ScriptedFailure("NXDOMAIN")) }
        return eventLoop.makeCompletedFuture { try ips.map { try SocketAddress(ipAddress: $0, port: port) } }
    }
}
