import NIOCore
import NIOHTTP1
import NIOPosix

/// The admin listener (`admin: { listen: 127.0.0.1:9901 }`): plain HTTP/1.1 on the server's
/// event loops, on a channel of its own. Its pipeline knows only ``AdminEndpoints``, and the data
/// listener's knows only routes, so neither is reachable through the other.
enum AdminServer {
    /// The largest request body the admin listener reads (its endpoints take none).
    static let maxBodyBytes = 64 << 10

    /// Binds the admin listener.
    /// - Parameters:
    ///   - address: Where to listen.
    ///   - group: The server's event loops.
    ///   - endpoints: What it serves.
    /// - Returns: The bound channel (close it to stop the listener).
    static func bind(
        _ address: GatewayConfig.HostPort,
        group: any EventLoopGroup,
        endpoints: AdminEndpoints
    ) async throws -> any Channel {
        try await ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: 64)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    let sync = channel.pipeline.syncOperations
                    try sync.configureHTTPServerPipeline(withPipeliningAssistance: true, withErrorHandling: true)
                    try sync.addHandler(AdminHandler(endpoints: endpoints))
                }
            }
            .bind(host: address.host, port: address.port).get()
    }
}

/// One admin connection: reads each request whole, answers it from ``AdminEndpoints`` (in a
/// task: readiness and reloads are asynchronous), one at a time (NIO's pipelining handler holds
/// the next request until the answer is written).
final class AdminHandler: ChannelInboundHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    private let endpoints: AdminEndpoints
    private var head: HTTPRequestHead?
    private var body = ByteBuffer()
    private var tooLarge = false

    init(endpoints: AdminEndpoints) {
        self.endpoints = endpoints
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head):
            self.head = head
            body.clear()
            tooLarge = false
        case .body(var chunk):
            if body.readableBytes + chunk.readableBytes > AdminServer.maxBodyBytes {
                tooLarge = true
            } else {
                body.writeBuffer(&chunk)
            }
        case .end:
            guard let head = head.take() else { return }
            answer(head, context: context)
        }
    }

    private func answer(_ head: HTTPRequestHead, context: ChannelHandlerContext) {
        let path = head.uri.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false)[0]
        let request = AdminRequest(method: head.method, path: path, body: body)
        let endpoints = self.endpoints
        let promise = context.eventLoop.makePromise(of: AdminResponse.self)
        if tooLarge {
            promise.succeed(.json(.payloadTooLarge, .object([("error", "admin requests take no body")])))
        } else {
            promise.completeWithTask { await endpoints.respond(to: request) }
        }
        promise.futureResult.assumeIsolated().whenSuccess { [self] response in
            self.write(response, for: head, context: context)
        }
    }

    private func write(_ response: AdminResponse, for head: HTTPRequestHead, context: ChannelHandlerContext) {
        guard context.channel.isActive else { return }
        let keepAlive = head.isKeepAlive
        context.write(wrapOutboundOut(.head(response.head(for: head, keepAlive: keepAlive))), promise: nil)
        context.write(wrapOutboundOut(.body(.byteBuffer(response.body))), promise: nil)
        let written = context.eventLoop.makePromise(of: Void.self)
        context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: written)
        if !keepAlive {
            written.futureResult.assumeIsolated().whenComplete { _ in context.close(promise: nil) }
        }
    }
}

@available(*, unavailable)
extension AdminHandler: Sendable {}
