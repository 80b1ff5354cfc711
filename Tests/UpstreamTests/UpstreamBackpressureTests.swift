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
        let total = 2000
        let observed = Observed()
        let service = server.service

        let outcome = try await withTimeout(seconds: 30) {
            try await harness.call("ServerStream") { call, delegate in
                call.send(message: ByteBuffer(string: "\(total):1024"))
                call.finish()
                delegate.onMessage = { call, _ in
                    guard delegate.receivedCount == 1 else { return }
                    call.pauseReceiving()
                    call.eventLoop.assumeIsolated().scheduleTask(in: .milliseconds(500)) {
                        // Nothing may have been delivered while paused.
                        observed.value.withLock { $0 = (delegate.receivedCount, service.streamed.current) }
                        call.resumeReceiving()
                    }
                }
            }.get()
        }
        #expect(outcome.status == .ok)
        #expect(outcome.messages.count == total)
        #expect(outcome.messages.last.map { String(decoding: $0.prefix(12), as: UTF8.self) } == "message-1999")
        let (delivered, streamed) = try #require(observed.value.withLock { $0 })
        #expect(delivered == 1)
        // 2 MiB were to be sent; with a 16 KiB window only the window plus the server's own
        // buffering can have left it.
        #expect(streamed < total / 4, "server streamed \(streamed) of \(total) while the client was paused")
        try await harness.shutdown()
        await server.stop()
    }
}

private final class Observed: Sendable {
    let value = Mutex<(delivered: Int, streamed: Int)?>(nil)
}
