import GRPCCore
import NIOCore
import Testing
import Upstream

/// Backend loss and recovery: in-flight calls fail exactly once, the client never stays dead.
@Suite struct UpstreamReconnectTests {
    @Test func backendKilledThenRestartedOnTheSamePort() async throws {
        var server = try await TestServer.start()
        let port = server.port
        let harness = try await ClientHarness(port: port)
        #expect(try await harness.unary("Echo", "before").messageStrings == ["before"])

        // In flight while the backend dies.
        let inFlight = (0..<5).map { _ in harness.call("Slow", messages: [Array("10000".utf8)]) }
        let service = server.service
        try await withTimeout {
            while service.slowStarted.current < 5 { try await Task.sleep(for: .milliseconds(10)) }
        }
        await server.kill()
        for future in inFlight {
            let outcome = try await withTimeout { try await future.get() }
            #expect(
                [.unavailable, .cancelled].contains(outcome.status.code),
                "in-flight call finished with \(outcome.status)"
            )
            #expect(outcome.finishCount == 1)
        }

        // New calls while it is down.
        let whileDown = try await harness.unary("Echo", "down")
        #expect(whileDown.status.code == .unavailable)

        // Back on the same port: calls succeed again (after at most the short test backoff).
        server = try await TestServer.start(port: port)
        let recovered = try await withTimeout {
            while true {
                let outcome = try await harness.unary("Echo", "again")
                if outcome.status == .ok { return outcome }
                try await Task.sleep(for: .milliseconds(20))
            }
        }
        #expect(recovered.messageStrings == ["again"])
        #expect(try await harness.connectionCount == 2)
        try await harness.shutdown()
        await server.stop()
    }

    @Test func gracefulShutdownLetsInFlightCallsFinish() async throws {
        let server = try await TestServer.start()
        let harness = try await ClientHarness(port: server.port)
        let firstEcho = harness.loop.makePromise(of: Void.self)
        let started = harness.loop.makePromise(of: NIOLoopBound<UpstreamCall>.self)
        let outcome = harness.call("Echo") { call, delegate in
            started.succeed(NIOLoopBound(call, eventLoop: call.eventLoop))
            call.send(message: ByteBuffer(string: "one"))
            delegate.onMessage = { _, _ in
                if delegate.receivedCount == 1 { firstEcho.succeed() }
            }
        }
        try await withTimeout { try await firstEcho.futureResult.get() }
        let call = try await started.futureResult.get()

        // GOAWAY while the bidi call is open: it must still be able to finish normally.
        server.server.beginGracefulShutdown()
        try await Task.sleep(for: .milliseconds(100))
        try await harness.loop.submit {
            call.value.send(message: ByteBuffer(string: "two"))
            call.value.finish()
        }.get()
        let result = try await withTimeout { try await outcome.get() }
        #expect(result.status == .ok)
        #expect(result.messageStrings == ["one", "two"])
        _ = try? await server.task.value
        try await harness.shutdown()
    }

    @Test func newConnectionAfterGoAway() async throws {
        // Two servers on different ports can't share a client; instead restart on the same port
        // after a graceful stop and check that the client opened a fresh connection.
        var server = try await TestServer.start()
        let port = server.port
        let harness = try await ClientHarness(port: port)
        #expect(try await harness.unary("Echo", "one").status == .ok)
        await server.stop()
        server = try await TestServer.start(port: port)
        let outcome = try await withTimeout {
            while true {
                let outcome = try await harness.unary("Echo", "two")
                if outcome.status == .ok { return outcome }
                try await Task.sleep(for: .milliseconds(20))
            }
        }
        #expect(outcome.messageStrings == ["two"])
        #expect(try await harness.connectionCount == 2)
        try await harness.shutdown()
        await server.stop()
    }
}
