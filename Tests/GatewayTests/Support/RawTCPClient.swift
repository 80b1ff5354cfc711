import NIOConcurrencyHelpers
import NIOCore
import NIOPosix

/// A bare TCP connection for clients HTTP libraries will not imitate: a head sent byte by byte, a
/// body that stops short. Records what the server sends and when it closes.
final class RawTCPClient: Sendable {
    private let channel: any Channel
    private let received: NIOLockedValueBox<[UInt8]>
    /// Completes when the server closes the connection.
    let closed: EventLoopFuture<Void>

    private init(channel: any Channel, received: NIOLockedValueBox<[UInt8]>) {
        self.channel = channel
        self.received = received
        self.closed = channel.closeFuture
    }

    static func connect(port: Int) async throws -> RawTCPClient {
        let received = NIOLockedValueBox<[UInt8]>([])
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(Recorder(received: received))
                }
            }
            .connect(host: "127.0.0.1", port: port).get()
        return RawTCPClient(channel: channel, received: received)
    }

    /// Sends text now.
    func send(_ text: String) async throws {
        try await channel.writeAndFlush(ByteBuffer(string: text)).get()
    }

    /// Everything the server sent so far, as text.
    var text: String { String(decoding: received.withLockedValue { $0 }, as: UTF8.self) }

    /// Whether the server has closed the connection.
    var isClosed: Bool { !channel.isActive }

    func close() async {
        try? await channel.close()
    }

    private final class Recorder: ChannelInboundHandler, Sendable {
        typealias InboundIn = ByteBuffer
        let received: NIOLockedValueBox<[UInt8]>
        init(received: NIOLockedValueBox<[UInt8]>) { self.received = received }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            let buffer = unwrapInboundIn(data)
            received.withLockedValue { $0.append(contentsOf: buffer.readableBytesView) }
        }
    }
}
