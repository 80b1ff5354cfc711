import Logging
import NIOCore
import NIOEmbedded
import NIOHTTP2
import NIOPosix
import Testing

@testable import Upstream

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// ``UpstreamClient`` on an `EmbeddedEventLoop` with its channels injected: deadlines, reconnect
/// backoff and `grpc-timeout` by the loop's clock, stepped with `advanceTime` instead of sleeping.
@Suite struct UpstreamClientVirtualTimeTests {
    /// Hands out connects that complete when the test says so.
    final class Connector {
        let loop: EmbeddedEventLoop
        private(set) var pending: [EventLoopPromise<any Channel>] = []

        init(loop: EmbeddedEventLoop) {
            self.loop = loop
        }

        var attempts: Int { self.pending.count }

        func open(_ client: UpstreamClient) -> EventLoopFuture<any Channel> {
            let promise = self.loop.makePromise(of: (any Channel).self)
            self.pending.append(promise)
            return promise.futureResult
        }
    }

    /// Backoff 100 ms, ×2, no jitter.
    static var configuration: UpstreamConfiguration {
        var configuration = UpstreamConfiguration.defaults
        configuration.reconnectBackoffInitial = .milliseconds(100)
        configuration.reconnectBackoffMultiplier = 2
        configuration.reconnectBackoffJitter = 0
        return configuration
    }

    static func makeClient(
        loop: EmbeddedEventLoop,
        configuration: UpstreamConfiguration = Self.configuration,
        openChannel: @escaping (UpstreamClient) -> EventLoopFuture<any Channel>
    ) -> UpstreamClient {
        UpstreamClient(
            target: EmbeddedBackend.target,
            eventLoop: loop,
            configuration: configuration,
            logger: Logger(label: "virtual-time"),
            random: FixedRandom(value: 0),
            openChannel: openChannel
        )
    }

    @discardableResult
    static func start(_ client: UpstreamClient, timeout: TimeAmount? = nil) -> (UpstreamCall, RecordingCallDelegate) {
        let delegate = RecordingCallDelegate()
        let call = client.startCall(path: "/a.B/C", metadata: [], timeout: timeout, delegate: delegate)
        return (call, delegate)
    }

    @Test func callsFailFastDuringTheBackoffAndTheNextCallReconnects() throws {
        let loop = EmbeddedEventLoop()
        let connector = Connector(loop: loop)
        let client = Self.makeClient(loop: loop, openChannel: connector.open)
        let refused = IOError(errnoCode: ECONNREFUSED, reason: "connection reset (error set)")

        let (_, first) = Self.start(client)
        #expect(connector.attempts == 1)
        #expect(first.status == nil)
        connector.pending[0].fail(refused)
        let message = "cannot connect to 127.0.0.1:1: connection refused"
        #expect(first.status == GRPCStatus(code: .unavailable, message: message))
        #expect(client.consecutiveConnectFailures == 1)
        #expect(client.lastConnectFailure == loop.now)

        // Within the 100 ms backoff: the same failure, on a later tick, without a connect.
        loop.advanceTime(by: .milliseconds(99))
        let (_, fast) = Self.start(client)
        #expect(fast.status == nil)
        loop.run()
        #expect(fast.status == GRPCStatus(code: .unavailable, message: message))
        #expect(connector.attempts == 1)

        loop.advanceTime(by: .milliseconds(1))
        let (_, second) = Self.start(client)
        #expect(connector.attempts == 2)
        connector.pending[1].fail(ChannelError.connectTimeout(.seconds(2)))
        #expect(
            second.status
                == GRPCStatus(code: .unavailable, message: "cannot connect to 127.0.0.1:1: no connection within 2 s")
        )
        #expect(client.consecutiveConnectFailures == 2)

        // The backoff doubled.
        loop.advanceTime(by: .milliseconds(199))
        Self.start(client)
        #expect(connector.attempts == 2)
        loop.advanceTime(by: .milliseconds(1))
        Self.start(client)
        #expect(connector.attempts == 3)
        connector.pending[2].fail(refused)
        loop.run()
        _ = client.close()
    }

    @Test func aWaitingCallExpiresAtItsDeadlineByTheLoopsClock() throws {
        let loop = EmbeddedEventLoop()
        loop.advanceTime(by: .seconds(1000))
        let connector = Connector(loop: loop)
        let client = Self.makeClient(loop: loop, openChannel: connector.open)
        let (call, delegate) = Self.start(client, timeout: .milliseconds(200))
        #expect(call.deadline == .uptimeNanoseconds(0) + .seconds(1000) + .milliseconds(200))
        let (untimed, untimedDelegate) = Self.start(client)
        loop.advanceTime(by: .milliseconds(199))
        #expect(delegate.status == nil)
        loop.advanceTime(by: .milliseconds(1))
        #expect(delegate.status == GRPCStatus(code: .deadlineExceeded, message: "deadline of 200 ms exceeded"))
        #expect(call.isFinished)
        #expect(!untimed.isFinished)
        loop.advanceTime(by: .seconds(3600))
        #expect(untimedDelegate.status == nil)
        _ = client.close()
        connector.pending[0].fail(ChannelError.ioOnClosedChannel)
        loop.run()
        #expect(untimedDelegate.status?.code == .unavailable)
    }

    @Test func anOpenStreamIsResetAtItsDeadlineAndSentItsTimeoutFromTheLoopsClock() throws {
        let loop = EmbeddedEventLoop()
        var backend: EmbeddedBackend?
        let client = Self.makeClient(loop: loop) { _ in
            backend = try! EmbeddedBackend(configuration: Self.configuration, loop: loop)
            return loop.makeSucceededFuture(backend!.client)
        }
        let (call, delegate) = Self.start(client, timeout: .milliseconds(1500))
        let link = try #require(backend)
        defer { link.finish() }
        // The backend's preface arrives at 500 ms; the call's HEADERS go out then.
        loop.advanceTime(by: .milliseconds(500))
        try link.exchange()
        #expect(client.connectionCount == 1)
        let headers = link.takeServerFrames().compactMap(\.headerBlock).first
        #expect(headers?.first { $0.name == ":path" }?.value == "/a.B/C")
        // Exactly the remaining second, by the loop's clock.
        #expect(headers?.first { $0.name == "grpc-timeout" }?.value == "1S")

        loop.advanceTime(by: .milliseconds(999))
        #expect(delegate.status == nil)
        loop.advanceTime(by: .milliseconds(1))
        #expect(delegate.status?.code == .deadlineExceeded)
        try link.exchange()
        #expect(link.takeServerFrames().compactMap(\.resetCode) == [.cancel])
        #expect(call.isFinished)
        #expect(client.outstandingCalls == 0)

        // The connection survives the reset: the next call goes out on it.
        let (next, _) = Self.start(client)
        try link.exchange()
        #expect(link.takeServerFrames().compactMap(\.headerBlock).count == 1)
        #expect(client.connectionCount == 1)
        #expect(client.outstandingCalls == 1)
        next.cancel()
        _ = client.close()
        loop.run()
    }
}
