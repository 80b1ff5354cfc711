import NIOConcurrencyHelpers
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL

/// A tiny HTTP/1.1 server that answers every GET with one document: the other origin a browser
/// test loads a page from, or an issuer's key set (which a test may change, over TLS if asked).
/// It closes each connection after its response and counts the requests it answered.
final class StaticPageServer: Sendable {
    private let channel: any Channel
    private let content: NIOLockedValueBox<String>
    private let answered: NIOLockedValueBox<Int>
    /// The port it listens on.
    let port: Int

    private init(channel: any Channel, content: NIOLockedValueBox<String>, answered: NIOLockedValueBox<Int>) {
        self.channel = channel
        self.content = content
        self.answered = answered
        self.port = channel.localAddress?.port ?? 0
    }

    /// Serves `page` on `host` (a loopback address), on a free port; over TLS with `tls`.
    static func start(
        host: String,
        page: String,
        contentType: String = "text/html; charset=utf-8",
        tls: NIOSSLContext? = nil
    ) async throws -> StaticPageServer {
        let content = NIOLockedValueBox(page)
        let answered = NIOLockedValueBox(0)
        let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    if let tls { try channel.pipeline.syncOperations.addHandler(NIOSSLServerHandler(context: tls)) }
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline()
                    try channel.pipeline.syncOperations.addHandler(
                        PageHandler(content: content, contentType: contentType, answered: answered)
                    )
                }
            }
            .bind(host: host, port: 0).get()
        return StaticPageServer(channel: channel, content: content, answered: answered)
    }

    /// What the next requests get.
    func serve(_ page: String) {
        content.withLockedValue { $0 = page }
    }

    /// Requests answered so far.
    var requests: Int { answered.withLockedValue { $0 } }

    func stop() async {
        try? await channel.close()
    }

    private final class PageHandler: ChannelInboundHandler, Sendable {
        typealias InboundIn = HTTPServerRequestPart
        typealias OutboundOut = HTTPServerResponsePart
        let content: NIOLockedValueBox<String>
        let contentType: String
        let answered: NIOLockedValueBox<Int>

        init(content: NIOLockedValueBox<String>, contentType: String, answered: NIOLockedValueBox<Int>) {
            self.content = content
            self.contentType = contentType
            self.answered = answered
        }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            guard case .end = unwrapInboundIn(data) else { return }
            answered.withLockedValue { $0 += 1 }
            let body = ByteBuffer(string: content.withLockedValue { $0 })
            var headers = HTTPHeaders()
            headers.add(name: "Content-Type", value: contentType)
            headers.add(name: "Content-Length", value: String(body.readableBytes))
            headers.add(name: "Connection", value: "close")
            context.write(
                wrapOutboundOut(.head(HTTPResponseHead(version: .http1_1, status: .ok, headers: headers))),
                promise: nil
            )
            context.write(wrapOutboundOut(.body(.byteBuffer(body))), promise: nil)
            context.writeAndFlush(wrapOutboundOut(.end(nil))).assumeIsolated().whenComplete { _ in
                context.close(promise: nil)
            }
        }
    }
}
