import NIOCore
import Synchronization
import Testing
import Upstream

/// pauseReceiving/resumeReceiving: delivery stops, the stream window stays shut, the backend stalls.
@Suite struct UpstreamBackpressureTests {
    @Test func pausedCallStopsTheBackendAndResumesInOrder() async throws {
        // The scripted peer writes only while our flow-control window lets it, so what it has
        // written is a direct reading of the window we granted.
        let server = try await ScriptedHTTP2Server()
        var configuration = ClientHarness.testConfiguration
        configuration.streamWindowSize = 16 << 10
        let harness = try await ClientHarness(port: server.port, configuration: configuration)
        let total = ScriptedHTTP2Server.floodCount
        let observed = Observed()
        let flooded = server.flooded

        let outcome = try await withTimeout(seconds: 60) {
            try await harness.loop.flatSubmit {
                let delegate = RecordingDelegate(promise: harness.loop.makePromise())
                let call = harness.client.value.startCall(
                    path: "/t/flood",
                    metadata: [],
                    timeout: .seconds(60),
                    delegate: delegate
                )
                call.finish()
                delegate.onMessage = { call, _ in
                    guard delegate.receivedCount == 1 else { return }
                    call.pauseReceiving()
                    let loop = call.eventLoop.assumeIsolated()
                    loop.scheduleTask(in: .milliseconds(300)) {
                        observed.value.withLock { $0.first = flooded.current }
                    }
                    loop.scheduleTask(in: .milliseconds(600)) {
                        observed.value.withLock {
                            $0.second = flooded.current
                            $0.deliveredWhilePaused = delegate.receivedCount - 1
                        }
                        call.resumeReceiving()
                    }
                }
                return delegate.promise.futureResult
            }.get()
        }
        #expect(outcome.status == .ok)
        #expect(outcome.messages.count == total)
        let labels = outcome.messages.map { String(decoding: $0.prefix { $0 != UInt8(ascii: ".") }, as: UTF8.self) }
        #expect(labels == (0..<total).map { "message-\($0)" })
        #expect(outcome.messages.allSatisfy { $0.count == 1024 })
        let snapshot = observed.value.withLock { $0 }
        #expect(snapshot.deliveredWhilePaused == 0)
        // 2 MiB were to be sent; a 16 KiB window (plus the chunk consumed before the pause and
        // the peer's 8 KiB write buffer) lets through a few dozen 1 KiB messages at most.
        #expect(snapshot.first < 64, "peer wrote \(snapshot.first) messages while the call was paused")
        #expect(snapshot.second == snapshot.first, "peer kept writing while the call was paused")
        try await harness.shutdown()
        try await server.shutdown()
    }
}

private final class Observed: Sendable {
    let value = Mutex((first: -1, second: -2, deliveredWhilePaused: -1))
}
