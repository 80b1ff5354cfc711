import Logging
import NIOCore
import NIOHTTP1
import ProtoSchema
import Routing
import Upstream

/// Reads one HTTP/1.1 request at a time (NIO's pipelining handler queues the rest), routes it,
/// collects the body within the size limit and hands the call to a ``CallExchange``.
final class HTTPRequestHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    private enum State {
        /// Waiting for a request head.
        case idle
        /// Collecting the body of a routed request.
        case collecting(head: HTTPRequestHead, match: RouteMatch, body: ByteBuffer)
        /// The request failed before its body ended: drop the rest of the body, then answer.
        case discarding(head: HTTPRequestHead, error: GatewayError)
        /// The upstream call is running; its exchange writes the response.
        case calling(CallExchange)
        /// Already answered (oversized body, connection closing): ignore the rest of the request.
        case draining
    }

    private let snapshot: GatewaySnapshot
    private let upstreams: LoopUpstreams
    private let logger: Logger
    private var state = State.idle
    private var context: ChannelHandlerContext?

    init(snapshot: GatewaySnapshot, upstreams: LoopUpstreams, logger: Logger) {
        self.snapshot = snapshot
        self.upstreams = upstreams
        self.logger = logger
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        self.context = nil
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head):
            receivedHead(head, context: context)
        case .body(var chunk):
            guard case .collecting(let head, let match, var body) = state else { return }
            let limit = snapshot.config.limits.maxRequestBodyBytes
            if body.readableBytes + chunk.readableBytes > limit {
                // An oversized body is not read to the end: answer now and close.
                respond(to: head, error: .bodyTooLarge(limit: limit), forceClose: true)
                state = .draining
                return
            }
            body.writeBuffer(&chunk)
            state = .collecting(head: head, match: match, body: body)
        case .end:
            switch state {
            case .collecting(let head, let match, let body):
                startCall(head: head, match: match, body: body, context: context)
            case .discarding(let head, let error):
                respond(to: head, error: error, forceClose: false)
            case .draining:
                state = .idle
            case .idle, .calling:
                break
            }
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        if case .calling(let exchange) = state {
            // The client went away: cancel the upstream stream at once.
            exchange.clientDisconnected()
        }
        state = .idle
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        logger.debug("connection error", metadata: ["error": "\(error)"])
        context.close(promise: nil)
    }

    private func receivedHead(_ head: HTTPRequestHead, context: ChannelHandlerContext) {
        let uri = head.uri[...]
        let queryStart = uri.firstIndex(of: "?")
        let path = uri[..<(queryStart ?? uri.endIndex)]
        let query = queryStart.map { uri[uri.index(after: $0)...] }
        do {
            switch try snapshot.routes.lookup(method: head.method.rawValue, path: path, query: query) {
            case .matched(let match):
                guard match.route.method.kind == .unary || match.route.method.kind == .serverStreaming else {
                    state = .discarding(
                        head: head,
                        error: GatewayError(
                            code: .unimplemented,
                            message: "\(match.route.method.kind.rawValue) calls are not supported yet"
                        )
                    )
                    return
                }
                state = .collecting(head: head, match: match, body: context.channel.allocator.buffer(capacity: 0))
            case .methodNotAllowed(let allowed):
                state = .discarding(
                    head: head,
                    error: .methodNotAllowed(method: head.method.rawValue, path: String(path), allowed: allowed)
                )
            case .notFound:
                state = .discarding(head: head, error: .notFound(method: head.method.rawValue, path: String(path)))
            }
        } catch {
            state = .discarding(head: head, error: .invalidArgument(error.message, cause: error))
        }
    }

    private func startCall(head: HTTPRequestHead, match: RouteMatch, body: ByteBuffer, context: ChannelHandlerContext) {
        let method = match.route.method
        guard let backend = snapshot.backendByService[method.serviceFullName],
            let client = upstreams.client(for: backend)
        else {
            respond(to: head, error: GatewayError(code: .unavailable, message: "no backend for \(method.serviceFullName)"))
            return
        }
        let request: ByteBuffer
        do {
            request = try RequestBuilder(snapshot: snapshot, allocator: context.channel.allocator)
                .build(match: match, body: body)
        } catch {
            respond(to: head, error: error)
            return
        }
        let timeout: TimeAmount?
        if let header = head.headers.first(name: "grpc-timeout") {
            guard let nanoseconds = GRPCTimeout.parse(header) else {
                respond(to: head, error: .invalidArgument("malformed Grpc-Timeout header \"\(header)\""))
                return
            }
            timeout = .nanoseconds(nanoseconds)
        } else {
            timeout = snapshot.config.backends[backend]?.timeoutMilliseconds.map { .milliseconds($0) }
        }
        let exchange = CallExchange(
            handler: self,
            head: head,
            route: match.route,
            snapshot: snapshot
        )
        state = .calling(exchange)
        let metadata = snapshot.headerPolicy.metadata(
            for: head.headers,
            clientAddress: context.channel.remoteAddress?.ipAddress
        )
        let call = client.startCall(path: method.grpcPath, metadata: metadata, timeout: timeout, delegate: exchange)
        exchange.call = call
        call.send(message: request)
        call.finish()
    }

    // MARK: Writing (used by CallExchange)

    /// Writes a complete response and returns to idle (closing when keep-alive is off).
    func respond(to head: HTTPRequestHead, status: HTTPResponseStatus, headers: HTTPHeaders, body: ByteBuffer?, forceClose: Bool = false) {
        guard let context else { return }
        let keepAlive = head.isKeepAlive && !forceClose
        var headers = headers
        if !keepAlive { headers.replaceOrAdd(name: "Connection", value: "close") }
        context.write(wrapOutboundOut(.head(HTTPResponseHead(version: head.version, status: status, headers: headers))), promise: nil)
        if let body, head.method != .HEAD {
            context.write(wrapOutboundOut(.body(.byteBuffer(body))), promise: nil)
        }
        let done = context.eventLoop.makePromise(of: Void.self)
        context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: done)
        if !keepAlive {
            done.futureResult.whenComplete { _ in context.close(promise: nil) }
        }
        state = .idle
    }

    /// Writes `error` as a google.rpc.Status JSON response.
    func respond(to head: HTTPRequestHead, error: GatewayError, forceClose: Bool = false) {
        guard let context else { return }
        var body = context.channel.allocator.buffer(capacity: 128)
        error.writeJSONBody(into: &body)
        var headers = HTTPHeaders()
        headers.add(name: "Content-Type", value: "application/json")
        headers.add(name: "Content-Length", value: String(body.readableBytes))
        respond(to: head, status: error.httpStatus, headers: headers, body: body, forceClose: forceClose)
    }

    /// Access for streaming responses.
    var channelContext: ChannelHandlerContext? { context }

    /// Marks the exchange finished so the next pipelined request can start.
    func exchangeFinished() {
        state = .idle
    }

    func wrap(_ part: HTTPServerResponsePart) -> NIOAny { wrapOutboundOut(part) }
}

@available(*, unavailable)
extension HTTPRequestHandler: Sendable {}
