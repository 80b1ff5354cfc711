package import NIOCore
import NIOHTTP1
import NIOPosix
package import NIOSSL

/// What a server answered one GET: its status and up to the body limit of its body.
package struct HTTPGetAnswer: Sendable {
    /// The HTTP status code.
    package var status: Int
    /// The body's first bytes (at most the limit asked for).
    package var body: ByteBuffer
    /// Whether the body was longer than the limit (the rest was dropped).
    package var truncated: Bool
}

/// A GET that got no complete answer in time.
package struct HTTPGetTimeout: Error, CustomStringConvertible {
    package var description: String { "no answer in time" }
}

/// One HTTP/1.1 GET over a fresh connection (TLS when given a context), closed after the answer,
/// on NIO's shared event loops (never the gateway's): `portico probe` and the JWKS fetches of
/// `jwt` providers. No redirects, no keep-alive, no retries: callers ask again when they need to.
///
/// Hand-written rather than AsyncHTTPClient: these few GETs an hour did not justify the 9.5 MB
/// that client and its dependencies added to the static binary (117.4 → 107.9 MB without it;
/// the image has a size budget), and NIO and NIOSSL, already linked, do it in this file.
package enum OneShotHTTPGet {
    /// GETs `path` from `host`:`port`; fails on a failed connect, a closed connection or no
    /// complete answer within `timeout`.
    /// - Parameters:
    ///   - tls: The client TLS context for `https`; nil speaks plain HTTP.
    ///   - bodyLimit: The most body bytes kept (the rest is read and dropped).
    package static func get(
        host: String,
        port: Int,
        path: String,
        tls: NIOSSLContext? = nil,
        bodyLimit: Int,
        timeout: TimeAmount,
        userAgent: String
    ) -> EventLoopFuture<HTTPGetAnswer> {
        let group = MultiThreadedEventLoopGroup.singleton
        let loop = group.next()
        let promise = loop.makePromise(of: HTTPGetAnswer.self)
        // SNI and name checks take a host name, never an address literal.
        let serverName = host.contains(":") || host.allSatisfy({ $0.isNumber || $0 == "." }) ? nil : host
        let connect = ClientBootstrap(group: loop)
            .connectTimeout(timeout)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    if let tls {
                        try channel.pipeline.syncOperations.addHandler(
                            try NIOSSLClientHandler(context: tls, serverHostname: serverName)
                        )
                    }
                    try channel.pipeline.syncOperations.addHTTPClientHandlers()
                    try channel.pipeline.syncOperations.addHandler(
                        AnswerCollector(promise: promise, bodyLimit: bodyLimit)
                    )
                }
            }
            .connect(host: host, port: port)
        connect.whenFailure { promise.fail($0) }
        connect.whenSuccess { channel in
            let deadline = channel.eventLoop.scheduleTask(in: timeout) {
                promise.fail(HTTPGetTimeout())
                channel.close(promise: nil)
            }
            promise.futureResult.whenComplete { _ in
                deadline.cancel()
                channel.close(promise: nil)
            }
            var headers = HTTPHeaders()
            let defaultPort = tls == nil ? 80 : 443
            let authority = host.contains(":") ? "[\(host)]" : host
            headers.add(name: "Host", value: port == defaultPort ? authority : "\(authority):\(port)")
            headers.add(name: "User-Agent", value: userAgent)
            headers.add(name: "Accept", value: "*/*")
            headers.add(name: "Connection", value: "close")
            let head = HTTPRequestHead(version: .http1_1, method: .GET, uri: path, headers: headers)
            channel.write(HTTPClientRequestPart.head(head), promise: nil)
            channel.writeAndFlush(HTTPClientRequestPart.end(nil), promise: nil)
        }
        return promise.futureResult
    }
}

/// Collects the response into the promise; a connection that ends first fails it.
private final class AnswerCollector: ChannelInboundHandler {
    typealias InboundIn = HTTPClientResponsePart

    private let promise: EventLoopPromise<HTTPGetAnswer>
    private let bodyLimit: Int
    private var status: Int?
    private var body = ByteBuffer()
    private var truncated = false

    init(promise: EventLoopPromise<HTTPGetAnswer>, bodyLimit: Int) {
        self.promise = promise
        self.bodyLimit = bodyLimit
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head):
            status = Int(head.status.code)
        case .body(var part):
            let room = bodyLimit - body.readableBytes
            if part.readableBytes > room { truncated = true }
            if room > 0, let bytes = part.readSlice(length: min(room, part.readableBytes)) {
                body.writeImmutableBuffer(bytes)
            }
        case .end:
            if let status {
                promise.succeed(HTTPGetAnswer(status: status, body: body, truncated: truncated))
            }
            context.close(promise: nil)
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        promise.fail(error)
        context.close(promise: nil)
    }

    func channelInactive(context: ChannelHandlerContext) {
        promise.fail(ChannelError.eof)
        context.fireChannelInactive()
    }
}
