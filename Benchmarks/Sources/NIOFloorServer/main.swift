// The front end's floor for `make bench`: a SwiftNIO HTTP/1.1 server that answers every request
// with the body Portico answers GET /v1/users/1 with, and does nothing else. The CPU it spends
// per request under the same wrk load is what accepting, parsing and answering HTTP/1.1 costs
// with NIO on this machine; Portico's GET is compared with it.
//
//   nio-floor-server <port>     (one event loop per core, like `portico serve`)
import NIOCore
import NIOHTTP1
import NIOPosix

/// Answers every request with the fixed JSON body, keep-alive as the request asks.
final class FixedResponder: ChannelInboundHandler, Sendable {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    static let body = #"{"id":1,"name":"Ada Lovelace"}"#

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard case .head(let request) = unwrapInboundIn(data) else {
            if case .end = unwrapInboundIn(data) { context.flush() }
            return
        }
        var headers = HTTPHeaders()
        headers.add(name: "Content-Type", value: "application/json")
        headers.add(name: "Content-Length", value: String(Self.body.utf8.count))
        if !request.isKeepAlive { headers.add(name: "Connection", value: "close") }
        context.write(
            wrapOutboundOut(.head(HTTPResponseHead(version: request.version, status: .ok, headers: headers))),
            promise: nil
        )
        context.write(
            wrapOutboundOut(.body(.byteBuffer(context.channel.allocator.buffer(string: Self.body)))),
            promise: nil
        )
        if request.isKeepAlive {
            context.write(wrapOutboundOut(.end(nil)), promise: nil)
        } else {
            context.writeAndFlush(wrapOutboundOut(.end(nil))).whenComplete { _ in context.close(promise: nil) }
        }
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        context.flush()
    }
}

let port = CommandLine.arguments.dropFirst().first.flatMap(Int.init) ?? 8190
let group = MultiThreadedEventLoopGroup(numberOfThreads: System.coreCount)
let channel = try ServerBootstrap(group: group)
    .serverChannelOption(.backlog, value: 1024)
    .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
    .childChannelOption(.tcpOption(.tcp_nodelay), value: 1)
    .childChannelInitializer { channel in
        channel.eventLoop.makeCompletedFuture {
            try channel.pipeline.syncOperations.configureHTTPServerPipeline(withErrorHandling: true)
            try channel.pipeline.syncOperations.addHandler(FixedResponder())
        }
    }
    .bind(host: "127.0.0.1", port: port)
    .wait()
print("nio-floor-server listening on \(channel.localAddress!)")
try channel.closeFuture.wait()
