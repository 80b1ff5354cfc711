import NIOConcurrencyHelpers
import NIOCore
import NIOPosix

/// A TCP relay between the gateway and a backend that records the HTTP/2 frames the gateway
/// sends, with the moment each reached the backend's side of the relay. Tests use it to see
/// what arrives on the backend's wire (an `RST_STREAM` after a client vanished) without
/// depending on how fast the backend's own gRPC stack reacts.
final class HTTP2SniffingRelay: Sendable {
    /// One frame the gateway sent.
    struct Frame: Sendable {
        /// The frame type (`3` is `RST_STREAM`).
        var type: UInt8
        /// The stream it belongs to.
        var streamID: UInt32
        /// The payload (the error code, for `RST_STREAM`).
        var payload: [UInt8]
        /// When the relay received it.
        var at: ContinuousClock.Instant
    }

    /// The `RST_STREAM` frame type.
    static let resetStreamType: UInt8 = 3

    private let channel: any Channel
    private let frames: NIOLockedValueBox<[Frame]>

    private init(channel: any Channel, frames: NIOLockedValueBox<[Frame]>) {
        self.channel = channel
        self.frames = frames
    }

    /// The port the gateway should connect to.
    var port: Int { channel.localAddress?.port ?? 0 }

    /// Every frame the gateway has sent so far.
    var recorded: [Frame] { frames.withLockedValue { $0 } }

    /// Starts relaying connections on a free port to `127.0.0.1:backendPort`.
    static func start(backendPort: Int) async throws -> HTTP2SniffingRelay {
        let frames = NIOLockedValueBox<[Frame]>([])
        let group = MultiThreadedEventLoopGroup.singleton
        let channel = try await ServerBootstrap(group: group)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.autoRead, value: false)
            .childChannelInitializer { inbound in
                ClientBootstrap(group: inbound.eventLoop)
                    .channelOption(.autoRead, value: false)
                    .connect(host: "127.0.0.1", port: backendPort)
                    .flatMap { outbound in
                        inbound.eventLoop.makeCompletedFuture {
                            let (toBackend, toGateway) = RelayHandler.pair()
                            try inbound.pipeline.syncOperations.addHandlers(FrameSniffer(frames: frames), toBackend)
                            try outbound.pipeline.syncOperations.addHandler(toGateway)
                        }
                    }
            }
            .bind(host: "127.0.0.1", port: 0).get()
        return HTTP2SniffingRelay(channel: channel, frames: frames)
    }

    /// Waits (polling every millisecond) for an `RST_STREAM` from the gateway.
    func waitForReset(timeout: Duration) async -> Frame? {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if let reset = recorded.first(where: { $0.type == Self.resetStreamType }) { return reset }
            try? await Task.sleep(for: .milliseconds(1))
        }
        return nil
    }

    /// Stops accepting connections.
    func stop() async {
        try? await channel.close()
    }
}

/// Parses the gateway's byte stream into HTTP/2 frames and records them, passing bytes on.
private final class FrameSniffer: ChannelInboundHandler, Sendable {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer
    private static let prefaceLength = 24
    private let frames: NIOLockedValueBox<[HTTP2SniffingRelay.Frame]>
    private let pending = NIOLockedValueBox(ByteBuffer())
    private let prefaceSeen = NIOLockedValueBox(false)

    init(frames: NIOLockedValueBox<[HTTP2SniffingRelay.Frame]>) {
        self.frames = frames
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let bytes = unwrapInboundIn(data)
        let now = ContinuousClock.now
        pending.withLockedValue { buffer in
            var copy = bytes
            buffer.writeBuffer(&copy)
            if !prefaceSeen.withLockedValue({ $0 }) {
                guard buffer.readableBytes >= Self.prefaceLength else { return }
                buffer.moveReaderIndex(forwardBy: Self.prefaceLength)
                prefaceSeen.withLockedValue { $0 = true }
            }
            while buffer.readableBytes >= 9,
                let length = buffer.getInteger(at: buffer.readerIndex, as: UInt32.self).map({ Int($0 >> 8) }),
                buffer.readableBytes >= 9 + length
            {
                let type = buffer.getInteger(at: buffer.readerIndex + 3, as: UInt8.self) ?? 0
                let stream = (buffer.getInteger(at: buffer.readerIndex + 5, as: UInt32.self) ?? 0) & 0x7FFF_FFFF
                let payload = buffer.getBytes(at: buffer.readerIndex + 9, length: min(length, 8)) ?? []
                buffer.moveReaderIndex(forwardBy: 9 + length)
                frames.withLockedValue { $0.append(.init(type: type, streamID: stream, payload: payload, at: now)) }
            }
            buffer.discardReadBytes()
        }
        context.fireChannelRead(data)
    }
}

/// Copies bytes to the partner channel, reading more only once the partner has taken them.
private final class RelayHandler: ChannelDuplexHandler, @unchecked Sendable {
    typealias InboundIn = ByteBuffer
    typealias OutboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer
    private var partner: RelayHandler?
    private var context: ChannelHandlerContext?

    static func pair() -> (RelayHandler, RelayHandler) {
        let first = RelayHandler()
        let second = RelayHandler()
        first.partner = second
        second.partner = first
        return (first, second)
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        if context.channel.isActive { context.read() }
    }

    func channelActive(context: ChannelHandlerContext) {
        context.read()
        context.fireChannelActive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        partner?.context?.writeAndFlush(data, promise: nil)
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        // Keep reading while the partner can take more; otherwise wait for it to drain.
        if partner?.context?.channel.isWritable ?? false { context.read() }
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        if context.channel.isWritable { partner?.context?.read() }
    }

    func channelInactive(context: ChannelHandlerContext) {
        partner?.context?.close(promise: nil)
        partner = nil
        context.fireChannelInactive()
    }
}
