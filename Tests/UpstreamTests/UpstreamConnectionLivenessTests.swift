import NIOCore
import NIOEmbedded
import NIOHTTP2
import Testing

@testable import Upstream

/// Keepalive and idle reaping of a real ``UpstreamConnection`` against a swift-nio-http2 server,
/// on an `EmbeddedEventLoop`: time moves only with `advanceTime`, nothing sleeps.
@Suite struct UpstreamConnectionLivenessTests {
    private static func configuration(_ configure: (inout UpstreamConfiguration) -> Void) -> UpstreamConfiguration {
        var configuration = UpstreamConfiguration.defaults
        configuration.idleTimeout = nil
        configure(&configuration)
        return configuration
    }

    /// Starts a call on `backend`'s connection, as a client would.
    private static func startCall(on backend: EmbeddedBackend, delegate: RecordingCallDelegate) -> UpstreamCall {
        let call = UpstreamCall(
            path: "/a.B/C",
            metadata: [],
            timeout: nil,
            eventLoop: backend.loop,
            allocator: ByteBufferAllocator(),
            maxMessageLength: 1 << 20,
            sendBufferWatermarks: (1 << 16, 1 << 14)
        )
        #expect(call.begin(delegate: delegate))
        backend.connection.start(call)
        return call
    }

    @Test func anAnsweredPingKeepsAQuietConnectionOpen() throws {
        let backend = try EmbeddedBackend(
            configuration: Self.configuration {
                $0.keepaliveInterval = .seconds(10)
                $0.keepaliveTimeout = .seconds(5)
            }
        )
        defer { backend.finish() }
        try backend.exchange()
        #expect(backend.connection.machine.state == .open)
        _ = backend.takeServerFrames()

        backend.loop.advanceTime(by: .seconds(9))
        try backend.exchange()
        #expect(!backend.takeServerFrames().contains { $0.isPingRequest })

        backend.loop.advanceTime(by: .seconds(1))
        try backend.exchange()
        #expect(backend.takeServerFrames().filter { $0.isPingRequest }.count == 1)
        // The server acknowledged it during the exchange.
        #expect(backend.connection.machine.pingSentAt == nil)

        backend.loop.advanceTime(by: .seconds(9))
        #expect(backend.client.isActive)
        backend.loop.advanceTime(by: .seconds(1))
        try backend.exchange()
        #expect(backend.takeServerFrames().filter { $0.isPingRequest }.count == 1)
        #expect(backend.client.isActive)
    }

    @Test func anUnansweredPingClosesTheConnectionAndFailsItsCalls() throws {
        let backend = try EmbeddedBackend(
            configuration: Self.configuration {
                $0.keepaliveInterval = .seconds(10)
                $0.keepaliveTimeout = .seconds(5)
            }
        )
        defer { backend.finish() }
        try backend.exchange()
        let delegate = RecordingCallDelegate()
        _ = Self.startCall(on: backend, delegate: delegate)
        try backend.exchange()

        // The PING goes out, and the backend never answers.
        backend.loop.advanceTime(by: .seconds(10))
        #expect(backend.connection.machine.pingSentAt == backend.loop.now)
        backend.loop.advanceTime(by: .milliseconds(4999))
        #expect(backend.client.isActive)
        #expect(delegate.status == nil)
        backend.loop.advanceTime(by: .milliseconds(1))
        #expect(!backend.client.isActive)
        #expect(
            delegate.status
                == GRPCStatus(
                    code: .unavailable,
                    message: "connection to 127.0.0.1:1 lost: keepalive PING not answered within 5 s"
                )
        )
        #expect(delegate.finishCount == 1)
    }

    @Test func aConnectionWithoutStreamsIsReapedAfterTheIdleTimeout() throws {
        let backend = try EmbeddedBackend(configuration: Self.configuration { $0.idleTimeout = .seconds(30) })
        defer { backend.finish() }
        try backend.exchange()
        backend.loop.advanceTime(by: .seconds(29))
        #expect(backend.client.isActive)
        backend.loop.advanceTime(by: .seconds(1))
        #expect(!backend.client.isActive)
        #expect(backend.connection.machine.state == .closed)
    }

    @Test func anOpenStreamKeepsTheConnectionUntilItEnds() throws {
        let backend = try EmbeddedBackend(configuration: Self.configuration { $0.idleTimeout = .seconds(30) })
        defer { backend.finish() }
        try backend.exchange()
        let delegate = RecordingCallDelegate()
        let call = Self.startCall(on: backend, delegate: delegate)
        try backend.exchange()
        backend.loop.advanceTime(by: .seconds(100))
        #expect(backend.client.isActive)

        // The stream ends at 100 s: idle from then on.
        call.cancel()
        backend.loop.run()
        #expect(delegate.status?.code == .cancelled)
        backend.loop.advanceTime(by: .seconds(29))
        #expect(backend.client.isActive)
        backend.loop.advanceTime(by: .seconds(1))
        #expect(!backend.client.isActive)
    }
}
