import Logging
import NIOCore
import NIOHTTP1
import NIOWebSocket
import ProtoSchema
import Routing
import Transcoding
import Upstream

/// Reads one HTTP/1.1 request at a time, routes it and runs its call through a ``CallExchange``.
///
/// The connection is read even while a response is being written (unlike NIO's pipelining
/// handler, which stops reading until the response ends): that is what lets a bidi request
/// body keep arriving, and what notices at once that a client went away mid-stream. Pipelined
/// requests that arrive meanwhile are queued and reading stops until they can be served.
///
/// Unary and server-streaming requests are collected whole (up to `limits.maxRequestBodyBytes`)
/// and then sent. Client-streaming and bidi requests start the upstream call at the request head
/// and feed the body to it as it arrives, so responses can stream back while the client is still
/// sending (full duplex over HTTP/1.1). While the upstream send buffer is full, reads from the
/// client are held back (`read` is intercepted), which is what slows a fast uploader down to the
/// backend's pace.
final class HTTPRequestHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundIn = HTTPServerResponsePart
    typealias OutboundOut = HTTPServerResponsePart

    enum State {
        /// Waiting for a request head.
        case idle
        /// Collecting the body of a unary or server-streaming request.
        case collecting(head: HTTPRequestHead, match: RouteMatch, body: ByteBuffer)
        /// A client-streaming or bidi call is running and the request body is still arriving.
        case streaming(CallExchange)
        /// The request failed before its body ended: drop the rest of the body, then answer.
        case discarding(head: HTTPRequestHead, error: GatewayError)
        /// The request is complete; the call's exchange writes the response.
        case calling(CallExchange)
        /// Already answered (connection closing): ignore the rest of the request.
        case draining
    }

    private let snapshot: GatewaySnapshot
    private let upstreams: LoopUpstreams
    private let logger: Logger
    private(set) var state = State.idle
    private var context: ChannelHandlerContext?
    private var readingPaused = false
    private var readPending = false
    /// Parts of pipelined requests that arrived while a response was still being written.
    private(set) var pipelined: [HTTPServerRequestPart] = []
    /// A parse error that arrived while earlier requests were still being answered: it is
    /// answered after them (see +MalformedRequests).
    var malformedRequest: GatewayError?
    /// When a request part last arrived or a response last completed (idle timeout).
    var lastActivity = NIODeadline.now()
    /// The client's IP address (for `x-forwarded-for`), read once per connection.
    private lazy var clientAddress: String? = context?.channel.remoteAddress?.ipAddress
    /// When the current request's head arrived (request-read timeout).
    var requestStarted = NIODeadline.now()
    /// The one pending timeout check, re-armed lazily when it fires (see +Timeouts).
    var timeoutCheck: Scheduled<Void>?

    init(snapshot: GatewaySnapshot, upstreams: LoopUpstreams, logger: Logger) {
        self.snapshot = snapshot
        self.upstreams = upstreams
        self.logger = logger
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        lastActivity = .now()
        armTimeoutCheck(context: context)
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        timeoutCheck?.cancel()
        timeoutCheck = nil
        self.context = nil
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        lastActivity = .now()
        let part = unwrapInboundIn(data)
        var busy = false
        if case .calling = state { busy = true }
        if case .head = part, busy { pipelined.append(part); return }
        if !pipelined.isEmpty { pipelined.append(part); return }
        process(part, context: context)
    }

    /// Serves queued pipelined requests once the connection is idle again.
    private func servePipelined() {
        guard let context else { return }
        while !pipelined.isEmpty {
            if case .calling = state { return }
            let part = pipelined.removeFirst()
            process(part, context: context)
        }
        if answerMalformedRequestIfDue() { return }
        if readPending && !readingPaused {
            readPending = false
            context.read()
        }
    }

    private func process(_ part: HTTPServerRequestPart, context: ChannelHandlerContext) {
        switch part {
        case .head(let head):
            receivedHead(head, context: context)
        case .body(var chunk):
            switch state {
            case .collecting(let head, let match, var body):
                let limit = snapshot.config.limits.maxRequestBodyBytes
                if body.readableBytes + chunk.readableBytes > limit {
                    // An oversized body is not read to the end: answer now and close.
                    respond(to: head, error: .bodyTooLarge(limit: limit), forceClose: true)
                    state = .draining
                    return
                }
                state = .idle  // drop the reference so the body buffer is not copied on write
                body.writeBuffer(&chunk)
                state = .collecting(head: head, match: match, body: body)
            case .streaming(let exchange):
                exchange.requestBody(chunk, allocator: context.channel.allocator)
            default:
                break
            }
        case .end:
            switch state {
            case .collecting(let head, let match, let body):
                startCollectedCall(head: head, match: match, body: body, context: context)
            case .streaming(let exchange):
                state = .calling(exchange)
                exchange.requestEnded(allocator: context.channel.allocator)
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
        switch state {
        case .calling(let exchange), .streaming(let exchange):
            // The client went away: cancel the upstream stream at once.
            exchange.clientDisconnected()
        default:
            break
        }
        state = .idle
        timeoutCheck?.cancel()
        timeoutCheck = nil
        context.fireChannelInactive()
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        switch state {
        case .calling(let exchange), .streaming(let exchange):
            exchange.clientWritabilityChanged(isWritable: context.channel.isWritable)
        default:
            break
        }
        context.fireChannelWritabilityChanged()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        logger.debug("connection error", metadata: ["error": "\(error)"])
        // A malformed WebSocket handshake is answered as a request (see receivedHead).
        if error is NIOWebSocketUpgradeError { return }
        if let parserError = error as? HTTPParserError {
            refuseMalformedRequest(.malformedRequest(parserError), context: context)
            return
        }
        context.close(promise: nil)
    }

    // MARK: Read backpressure

    func read(context: ChannelHandlerContext) {
        if readingPaused || !pipelined.isEmpty {
            readPending = true
        } else {
            context.read()
        }
    }

    /// Stops reading the client (the upstream send buffer is full).
    func pauseReading() {
        readingPaused = true
    }

    /// Resumes reading the client.
    func resumeReading() {
        guard readingPaused else { return }
        readingPaused = false
        if readPending, let context {
            readPending = false
            context.read()
        }
    }

    // MARK: Dispatch

    private func receivedHead(_ head: HTTPRequestHead, context: ChannelHandlerContext) {
        requestStarted = .now()
        if head.headers[canonicalForm: "upgrade"].contains(where: { $0.lowercased() == "websocket" }) {
            // NIO's upgrade handler passed the request on: the upgrade was refused.
            state = .discarding(head: head, error: Self.refusedWebSocketUpgrade(head, snapshot: snapshot))
            return
        }
        let (path, query) = head.pathAndQuery
        let lookup: RouteLookup
        do {
            lookup = try snapshot.routes.lookup(method: head.method.rawValue, path: path, query: query)
        } catch {
            state = .discarding(head: head, error: .invalidArgument(error.message, cause: error))
            return
        }
        switch lookup {
        case .matched(let match):
            if head.headers[canonicalForm: "expect"].contains(where: { $0.lowercased() == "100-continue" }) {
                let interim = HTTPResponseHead(version: head.version, status: .continue)
                context.writeAndFlush(wrapOutboundOut(.head(interim)), promise: nil)
            }
            if match.route.method.isClientStreaming {
                startStreamingCall(head: head, match: match, context: context)
            } else {
                state = .collecting(head: head, match: match, body: context.channel.allocator.buffer(capacity: 0))
            }
        case .methodNotAllowed(let allowed):
            state = .discarding(
                head: head,
                error: .methodNotAllowed(method: head.method.rawValue, path: String(path), allowed: allowed)
            )
        case .notFound:
            state = .discarding(head: head, error: .notFound(method: head.method.rawValue, path: String(path)))
        }
    }

    /// Why a WebSocket upgrade request was not upgraded: the route's error (404, 405, 400 for a
    /// unary method), or a malformed or late handshake.
    private static func refusedWebSocketUpgrade(_ head: HTTPRequestHead, snapshot: GatewaySnapshot) -> GatewayError {
        switch WebSocketRouting.match(head, snapshot: snapshot) {
        case .failure(let error):
            return error
        case .success:
            return .invalidArgument(
                "invalid WebSocket handshake: it must be the first request on its connection, a GET with "
                    + "Connection: Upgrade, Sec-WebSocket-Key and Sec-WebSocket-Version: 13"
            )
        }
    }

    private func startCollectedCall(head: HTTPRequestHead, match: RouteMatch, body: ByteBuffer, context: ChannelHandlerContext) {
        let request: ByteBuffer
        do {
            request = try RequestBuilder(snapshot: snapshot, allocator: context.channel.allocator)
                .build(match: match, body: body, contentType: head.headers.first(name: "content-type"))
        } catch {
            respond(to: head, error: error)
            return
        }
        guard let (exchange, call) = startCall(head: head, match: match, encoder: nil, context: context) else { return }
        state = .calling(exchange)
        let method = match.route.method
        if let policy = snapshot.retryPolicies[method.fullName],
            let backend = snapshot.backendByService[method.serviceFullName],
            let throttle = snapshot.retryThrottles[backend]
        {
            exchange.retry = CallRetry(policy: policy, throttle: throttle, request: request, deadline: call.deadline)
        }
        call.send(message: request)
        call.finish()
    }

    /// Starts another attempt of a unary call whose last attempt failed retryably (see
    /// ``CallExchange``): same request, within the first attempt's deadline.
    func restartCall(_ exchange: CallExchange, request: ByteBuffer, deadline: NIODeadline?) {
        guard context != nil, case .calling(let current) = state, current === exchange else { return }
        let call: UpstreamCall
        do {
            call = try upstreams.startCall(
                route: exchange.route,
                headers: exchange.head.headers,
                clientAddress: clientAddress,
                snapshot: snapshot,
                delegate: exchange,
                deadline: deadline
            )
        } catch {
            respond(to: exchange.head, error: error)
            return
        }
        exchange.call = call
        call.send(message: request)
        call.finish()
    }

    private func startStreamingCall(head: HTTPRequestHead, match: RouteMatch, context: ChannelHandlerContext) {
        let encoder: RequestStreamEncoder
        do {
            encoder = try RequestStreamEncoder(
                route: match.route,
                bindings: match.bindings,
                contentType: head.headers.first(name: "content-type"),
                snapshot: snapshot,
                allocator: context.channel.allocator
            )
        } catch {
            state = .discarding(head: head, error: error)
            return
        }
        guard let (exchange, _) = startCall(head: head, match: match, encoder: encoder, context: context) else {
            state = .draining
            return
        }
        state = .streaming(exchange)
    }

    /// Starts the upstream call; answers the request itself when that is impossible.
    private func startCall(
        head: HTTPRequestHead,
        match: RouteMatch,
        encoder: RequestStreamEncoder?,
        context: ChannelHandlerContext
    ) -> (CallExchange, UpstreamCall)? {
        let exchange = CallExchange(handler: self, head: head, route: match.route, snapshot: snapshot, requestEncoder: encoder)
        let call: UpstreamCall
        do {
            call = try upstreams.startCall(
                route: match.route,
                headers: head.headers,
                clientAddress: clientAddress,
                snapshot: snapshot,
                delegate: exchange
            )
        } catch {
            respond(to: head, error: error)
            return nil
        }
        exchange.call = call
        return (exchange, call)
    }

    // MARK: Writing (used by CallExchange)

    /// Writes a complete response and returns to idle (closing when keep-alive is off).
    func respond(to head: HTTPRequestHead, status: HTTPResponseStatus, headers: HTTPHeaders, body: ByteBuffer?, forceClose: Bool = false) {
        guard let context else { return }
        let requestStillArriving = isRequestStillArriving
        let keepAlive = head.isKeepAlive && !forceClose && !requestStillArriving
        var headers = headers
        let body = body.map {
            ResponseCompression(settings: snapshot.config.compression)
                .apply(to: $0, headers: &headers, request: head, allocator: context.channel.allocator)
        }
        if !keepAlive { headers.replaceOrAdd(name: "Connection", value: "close") }
        context.write(wrapOutboundOut(.head(HTTPResponseHead(version: head.version, status: status, headers: headers))), promise: nil)
        if let body, head.method != .HEAD {
            context.write(wrapOutboundOut(.body(.byteBuffer(body))), promise: nil)
        }
        if keepAlive {
            context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
        } else {
            let done = context.eventLoop.makePromise(of: Void.self)
            context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: done)
            done.futureResult.assumeIsolated().whenComplete { _ in context.close(promise: nil) }
        }
        state = requestStillArriving ? .draining : .idle
        lastActivity = .now()
        resumeReading()
        if !pipelined.isEmpty, keepAlive {
            context.eventLoop.assumeIsolated().execute { self.servePipelined() }
        } else if keepAlive {
            answerMalformedRequestIfDue()
        }
    }

    /// Writes `error` as a google.rpc.Status JSON response.
    func respond(to head: HTTPRequestHead, error: GatewayError, forceClose: Bool = false) {
        guard let context else { return }
        var body = context.channel.allocator.buffer(capacity: 128)
        error.writeJSONBody(into: &body, transcoder: snapshot.responseTranscoder)
        var headers = HTTPHeaders()
        headers.add(name: "Content-Type", value: "application/json")
        headers.add(name: "Content-Length", value: String(body.readableBytes))
        respond(to: head, status: error.httpStatus, headers: headers, body: body, forceClose: forceClose)
    }

    /// Whether a streamed request body is still arriving (the response then ends the connection).
    private var isRequestStillArriving: Bool {
        if case .streaming = state { return true }
        return false
    }

    /// Access for streaming responses.
    var channelContext: ChannelHandlerContext? { context }

    /// `limits` of the configuration this connection serves.
    var snapshotLimits: GatewayConfig.Limits { snapshot.config.limits }

    /// A streamed response has ended (its `.end` is written): the next request may start.
    func exchangeFinished(closeConnection: Bool) {
        let requestStillArriving = isRequestStillArriving
        state = requestStillArriving ? .draining : .idle
        lastActivity = .now()
        resumeReading()
        if closeConnection || requestStillArriving, let context {
            context.close(promise: nil)
        } else if !pipelined.isEmpty, let context {
            context.eventLoop.assumeIsolated().execute { self.servePipelined() }
        } else {
            answerMalformedRequestIfDue()
        }
    }
}

@available(*, unavailable)
extension HTTPRequestHandler: Sendable {}

