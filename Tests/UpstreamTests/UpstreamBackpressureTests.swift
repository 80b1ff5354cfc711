import NIOCore
import Synchronization
import Testing
import Upstream

/// pauseReceiving/resumeReceiving: delivery stops, the stream window stays shut, the backend stalls.
@Suite struct UpstreamBackpressureTests {
    @Test func pausedCallStopsTheBackendAndResumesInOrder() async throws {
        let server = try await TestServer.start()
        var configuration = ClientHarness.testConfiguration
        configuration.streamWindowSize = 16 << 10
        let harness = try await ClientHarness(port: server.port, configuration: configuration)
        let total = 10000
        let observed = Observed()
        let service = server.service

        let outcome = try await withTimeout(seconds: 30) {
            try await harness.call("ServerStream") { call, delegate in
                call.send(message: ByteBuffer(string: "\(total):1024"))
                call.finish()
                delegate.onMessage = { call, _ in
                    guard delegate.receivedCount == 1 else { return }
                    call.pauseReceiving()
                    let loop = call.eventLoop.assumeIsolated()
                    loop.scheduleTask(in: .milliseconds(300)) {
                        observed.value.withLock { $0.first = service.streamed.current }
                    }
                    loop.scheduleTask(in: .milliseconds(600)) {
                        observed.value.withLock {
                            $0.second = service.streamed.current
                            $0.deliveredWhilePaused = delegate.receivedCount - 1
                        }
                        call.resumeReceiving()
                    }
                }
            }.get()
        }
        #expect(outcome.status == .ok)
        #expect(outcome.messages.count == total)
        #expect(outcome.messages.last.map { String(decoding: $0.prefix(12), as: UTF8.self) } == "message-9999")
        let snapshot = observed.value.withLock { $0 }
        #expect(snapshot.deliveredWhilePaused == 0)
        // 10 MiB were to be sent. With the stream window shut, the server stalls once its own
        // (generous: grpc-swift buffers megabytes) buffers are full: the count stops moving
        // below the total.
        #expect(snapshot.first < total, "server streamed \(snapshot.first) of \(total) while paused")
        #expect(snapshot.second == snapshot.first, "server kept streaming while paused")
        try await harness.shutdown()
        await server.stop()
    }
}

private final class Observed: Sendable {
    let value = Mutex((first: -1, second: -2, deliveredWhilePaused: -1))
}
