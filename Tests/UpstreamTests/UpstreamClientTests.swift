import NIOCore
import Testing
import Upstream

/// UpstreamClient against a real grpc-swift-2 server (HTTP/2 by swift-nio-http2) on loopback.
@Suite struct UpstreamClientTests {
    @Test func unaryEchoWithMetadataAndTrailers() async throws {
        let server = try await TestServer.start()
        let harness = try await ClientHarness(port: server.port)
        let outcome = try await withTimeout {
            try await harness.call(
                "Echo",
                messages: [Array("ping".utf8)],
                metadata: [("X-Client", "a b"), ("connection", "keep-alive")]
            ).get()
        }
        #expect(outcome.status == .ok)
        #expect(outcome.messageStrings == ["ping"])
        #expect(outcome.header("content-type")?.hasPrefix("application/grpc") == true)
        #expect(outcome.header("x-client") == "a b")
        #expect(outcome.trailer("x-trailer") == "done")
        #expect(outcome.finishCount == 1)
        #expect(outcome.eventsAfterFinish == 0)
        #expect(try await harness.connectionCount == 1)
        try await harness.shutdown()
        await server.stop()
    }

    @Test func trailersOnlyErrorStatus() async throws {
        let server = try await TestServer.start()
        let harness = try await ClientHarness(port: server.port)
        let outcome = try await harness.unary("Fail", "5:user 9 not found: 100% ✓")
        #expect(outcome.status.code == .notFound)
        #expect(outcome.status.message == "user 9 not found: 100% ✓")
        #expect(outcome.headers == nil)
        #expect(outcome.messages.isEmpty)
        #expect(outcome.trailer("grpc-status") == "5")
        try await harness.shutdown()
        await server.stop()
    }

    @Test func errorStatusInTrailersAfterAMessage() async throws {
        let server = try await TestServer.start()
        let harness = try await ClientHarness(port: server.port)
        let outcome = try await harness.unary("FailAfterMessage", "9:not now")
        #expect(outcome.headers != nil)
        #expect(outcome.messageStrings == ["partial"])
        #expect(outcome.status == GRPCStatus(code: .failedPrecondition, message: "not now"))
        try await harness.shutdown()
        await server.stop()
    }

    @Test func unknownMethodIsUnimplemented() async throws {
        let server = try await TestServer.start()
        let harness = try await ClientHarness(port: server.port)
        let outcome = try await harness.unary("NoSuchMethod", "x")
        #expect(outcome.status.code == .unimplemented)
        try await harness.shutdown()
        await server.stop()
    }

    @Test func twoHundredConcurrentCallsShareOneConnection() async throws {
        let server = try await TestServer.start()
        let harness = try await ClientHarness(port: server.port)
        let outcomes = try await withTimeout {
            let futures = (0..<200).map { index in harness.call("Echo", messages: [Array("call-\(index)".utf8)]) }
            var outcomes: [CallOutcome] = []
            for future in futures { outcomes.append(try await future.get()) }
            return outcomes
        }
        for (index, outcome) in outcomes.enumerated() {
            #expect(outcome.status == .ok, "call \(index): \(outcome.status)")
            #expect(outcome.messageStrings == ["call-\(index)"])
        }
        #expect(try await harness.connectionCount == 1)
        try await harness.shutdown()
        await server.stop()
    }

    @Test func concurrencyBeyondTheStreamLimitWaitsForFreeStreams() async throws {
        let server = try await TestServer.start()
        var configuration = ClientHarness.testConfiguration
        configuration.maxConcurrentStreams = 3
        let harness = try await ClientHarness(port: server.port, configuration: configuration)
        let outcomes = try await withTimeout {
            let futures = (0..<20).map { index in harness.call("Echo", messages: [Array("\(index)".utf8)]) }
            var outcomes: [CallOutcome] = []
            for future in futures { outcomes.append(try await future.get()) }
            return outcomes
        }
        #expect(outcomes.map(\.messageStrings) == (0..<20).map { ["\($0)"] })
        #expect(try await harness.connectionCount == 1)
        try await harness.shutdown()
        await server.stop()
    }

    @Test func oneMebibyteRequestAndResponse() async throws {
        let server = try await TestServer.start()
        let harness = try await ClientHarness(port: server.port)
        let big = (0..<(1 << 20)).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ $0 >> 9) }
        let outcomes = try await withTimeout {
            // Two at once, so both stream and connection windows are exercised.
            let first = harness.call("Echo", messages: [big])
            let second = harness.call("Echo", messages: [big])
            return [try await first.get(), try await second.get()]
        }
        for outcome in outcomes {
            #expect(outcome.status == .ok)
            #expect(outcome.messages.count == 1)
            #expect(outcome.messages.first == big)
        }
        try await harness.shutdown()
        await server.stop()
    }

    @Test func serverStreaming() async throws {
        let server = try await TestServer.start()
        let harness = try await ClientHarness(port: server.port)
        let outcome = try await harness.unary("ServerStream", "50")
        #expect(outcome.status == .ok)
        #expect(outcome.messageStrings == (0..<50).map { "message-\($0)" })
        try await harness.shutdown()
        await server.stop()
    }

    @Test func clientStreamingWithDeferredBody() async throws {
        let server = try await TestServer.start()
        let harness = try await ClientHarness(port: server.port)
        let outcome = try await withTimeout {
            try await harness.call("Collect") { call, _ in
                // Messages arrive on later ticks, so the body provider defers and resumes.
                let parts = ["alpha", "-", "beta", "-", "gamma"]
                func sendNext(_ index: Int) {
                    guard index < parts.count else {
                        call.finish()
                        return
                    }
                    call.send(message: ByteBuffer(string: parts[index]))
                    call.eventLoop.assumeIsolated().scheduleTask(in: .milliseconds(5)) { sendNext(index + 1) }
                }
                sendNext(0)
            }.get()
        }
        #expect(outcome.status == .ok)
        #expect(outcome.messageStrings == ["alpha-beta-gamma"])
        try await harness.shutdown()
        await server.stop()
    }

    @Test func bidirectionalPingPong() async throws {
        let server = try await TestServer.start()
        let harness = try await ClientHarness(port: server.port)
        let outcome = try await withTimeout {
            try await harness.call("Echo") { call, delegate in
                // Each reply triggers the next request: only works if the call is full duplex.
                call.send(message: ByteBuffer(string: "turn-0"))
                delegate.onMessage = { call, _ in
                    let count = delegate.receivedCount
                    if count < 10 {
                        call.send(message: ByteBuffer(string: "turn-\(count)"))
                    } else {
                        call.finish()
                    }
                }
            }.get()
        }
        #expect(outcome.status == .ok)
        #expect(outcome.messageStrings == (0..<10).map { "turn-\($0)" })
        try await harness.shutdown()
        await server.stop()
    }

    @Test func deadlineExceeded() async throws {
        let server = try await TestServer.start()
        let harness = try await ClientHarness(port: server.port)
        let started = ContinuousClock.now
        let outcome = try await harness.unary("Slow", "5000", timeout: .milliseconds(200))
        #expect(outcome.status.code == .deadlineExceeded)
        #expect(ContinuousClock.now - started < .seconds(3))
        // The connection survives the reset stream.
        let next = try await harness.unary("Echo", "after")
        #expect(next.messageStrings == ["after"])
        #expect(try await harness.connectionCount == 1)
        try await harness.shutdown()
        await server.stop()
    }

    @Test func cancelReachesTheServer() async throws {
        let server = try await TestServer.start()
        let harness = try await ClientHarness(port: server.port)
        let started = harness.loop.makePromise(of: NIOLoopBound<UpstreamCall>.self)
        let outcome = harness.call("Slow") { call, _ in
            started.succeed(NIOLoopBound(call, eventLoop: call.eventLoop))
            call.send(message: ByteBuffer(string: "10000"))
            call.finish()
        }
        let call = try await started.futureResult.get()
        let service = server.service
        // Cancel once the handler is running, so the server has something to cancel.
        try await withTimeout {
            while service.slowStarted.current == 0 { try await Task.sleep(for: .milliseconds(10)) }
        }
        try await harness.loop.submit { call.value.cancel() }.get()
        let result = try await withTimeout { try await outcome.get() }
        #expect(result.status.code == .cancelled)
        #expect(result.finishCount == 1)
        try await withTimeout {
            while service.cancellations.current == 0 { try await Task.sleep(for: .milliseconds(10)) }
        }
        #expect(service.cancellations.current == 1)
        try await harness.shutdown()
        await server.stop()
    }

    @Test func connectRefusedIsUnavailable() async throws {
        // Grab a free port, then stop listening on it.
        let probe = try await TestServer.start()
        let port = probe.port
        await probe.stop()
        let harness = try await ClientHarness(port: port)
        let outcome = try await harness.unary("Echo", "x")
        #expect(outcome.status.code == .unavailable)
        #expect(outcome.status.message == "cannot connect to 127.0.0.1:\(port): connection refused")
        #expect(outcome.finishCount == 1)
        #expect(try await harness.connectionCount == 0)
        try await harness.shutdown()
    }

    @Test func closedClientFailsCallsAsynchronously() async throws {
        let server = try await TestServer.start()
        let harness = try await ClientHarness(port: server.port)
        let client = harness.client
        let outcome = try await withTimeout {
            try await harness.loop.flatSubmit {
                client.value.close().flatMap {
                    let delegate = RecordingDelegate(promise: client.eventLoop.makePromise())
                    _ = client.value.startCall(path: "/test.Raw/Echo", metadata: [], timeout: nil, delegate: delegate)
                    // Nothing may have been delivered synchronously.
                    precondition(!delegate.hasFinished, "startCall called the delegate synchronously")
                    return delegate.promise.futureResult
                }
            }.get()
        }
        #expect(outcome.status.code == .unavailable)
        try await harness.shutdown()
        await server.stop()
    }
}
