import DemoServices
import Gateway
import NIOCore
import NIOHTTP1
import Synchronization
import Testing

/// Swapping snapshots while requests run: every request finishes on the snapshot it began with,
/// none fails, and backends whose definition did not change keep their connections.
@Suite("Snapshot swaps")
struct SnapshotSwapTests {
    /// Two snapshots with the same routes; the backend's `timeout` differs, so each swap replaces
    /// the backend's cluster (new connections, the old ones retired once their calls finish).
    static func alternatives(backendPort: Int) throws -> [GatewaySnapshot] {
        try ["5s", "6s"].map { timeout in
            let yaml = demoConfigYAML(
                backendPort: backendPort,
                replacingBackends: """
                    backends:
                      demo:
                        endpoints: [127.0.0.1:PORT]
                        timeout: \(timeout)
                    """
            )
            return try GatewaySnapshot(config: GatewayConfig.parse(yaml: yaml), baseDirectory: repositoryRoot)
        }
    }

    @Test func swappingEvery100MillisecondsUnderLoadFailsNoRequest() async throws {
        try await withGateway { harness in
            let snapshots = try Self.alternatives(backendPort: harness.backend.port)
            let swaps = Atomic<Int>(0)
            let swapper = Task {
                while !Task.isCancelled {
                    try? await Task.sleep(for: .milliseconds(100))
                    let count = swaps.add(1, ordering: .relaxed).newValue
                    await harness.gateway.install(snapshots[count % 2])
                }
            }
            let failures = try await harness.sendMixedLoad()
            swapper.cancel()
            await swapper.value
            #expect(failures.isEmpty, "\(failures.count) of 10,000 requests failed: \(failures.prefix(5))")
            #expect(swaps.load(ordering: .relaxed) >= 5, "the load ended before the snapshot was swapped a few times")
            let current = harness.gateway.snapshot
            #expect(snapshots.contains { $0 === current }, "the last swap is the snapshot in use")
        }
    }

    @Test func anUnchangedBackendKeepsItsConnectionsAcrossSwaps() async throws {
        try await withGateway(eventLoops: 1) { harness in
            let snapshots = try Self.alternatives(backendPort: harness.backend.port)
            let client = try await harness.client()
            defer { Task { await client.close() } }
            await harness.gateway.install(snapshots[0])
            #expect(try await client.send(.GET, "/v1/users/1").status == 200)
            #expect(try await harness.gateway.upstreamConnectionCounts() == [1])
            // The same definition again: the same cluster, the same connection.
            let again = try Self.alternatives(backendPort: harness.backend.port)[0]
            await harness.gateway.install(again)
            #expect(try await client.send(.GET, "/v1/users/1").status == 200)
            #expect(try await harness.gateway.upstreamConnectionCounts() == [1])
            // A changed definition: a new cluster, which connects on its first call.
            await harness.gateway.install(snapshots[1])
            #expect(try await harness.gateway.upstreamConnectionCounts() == [0])
            #expect(try await client.send(.GET, "/v1/users/1").status == 200)
            #expect(try await harness.gateway.upstreamConnectionCounts() == [1])
        }
    }

    @Test func aChatBegunBeforeASwapKeepsGoingOnItsSnapshot() async throws {
        try await withGateway { harness in
            let snapshots = try Self.alternatives(backendPort: harness.backend.port)
            let chat = try await ChatSession.open(port: harness.gatewayPort)
            try await chat.say("before")
            #expect(await chat.waitForLines(1, within: .seconds(5)))
            await harness.gateway.install(snapshots[1])
            try await chat.say("after")
            #expect(await chat.waitForLines(2, within: .seconds(5)))
            try await chat.end()
            #expect(chat.lines == ["{\"message\":\"you said: before\"}", "{\"message\":\"you said: after\"}"])
            await chat.close()
        }
    }
}
