import NIOCore
import NIOPosix

/// A TCP "backend" that misbehaves on cue, for what a real gRPC server will not do: accept and
/// never answer, or answer with bytes that are not HTTP/2.
final class MisbehavingBackend: Sendable {
    /// What the server does with each connection.
    enum Behavior: Sendable {
        /// Reads and discards everything, never writes.
        case silent
        /// Writes these bytes as soon as the connection opens, then stays open.
        case garbage([UInt8])
    }

    let port: Int
    private let channel: any Channel

    private init(port: Int, channel: any Channel) {
        self.port = port
        self.channel = channel
    }

    static func start(_ behavior: Behavior) async throws -> MisbehavingBackend {
        let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(Misbehavior(behavior: behavior))
                }
            }
            .bind(host: "127.0.0.1", port: 0).get()
        return MisbehavingBackend(port: channel.localAddress?.port ?? 0, channel: channel)
    }

    func stop() async {
        try? await channel.close()
    }

    private final class Misbehavior: ChannelInboundHandler, Sendable {
        typealias InboundIn = ByteBuffer
        let behavior: Behavior

        init(behavior: Behavior) { self.behavior = behavior }

        func channelActive(context: ChannelHandlerContext) {
            if case .garbage(let bytes) = behavior {
                context.writeAndFlush(NIOAny(ByteBuffer(bytes: bytes)), promise: nil)
            }
        }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {}
    }
}
