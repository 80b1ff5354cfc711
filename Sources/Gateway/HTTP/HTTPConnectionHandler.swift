import Logging
import NIOCore
import NIOHTTP1
import NIOWebSocket
import Prometheus
import Routing

/// The I/O side of one HTTP/1.1 client connection: feeds request parts to its
/// ``HTTPConnectionStateMachine``, routes heads against its event loop's current snapshot, runs
/// calls through ``CallExchange``s and writes what the machine and the calls say.
///
/// The connection is read even while a response is being written (unlike NIO's pipelining
/// handler, which stops reading until the response ends): that is what lets a bidi request body
/// keep arriving, and what notices at once that a client went away mid-stream. Pipelined requests
/// that arrive meanwhile are queued and reading stops until they can be served. While the
/// upstream send buffer is full, reads are held back (`read` is intercepted), which slows a fast
/// uploader down to the backend's pace.
final class HTTPConnectionHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundIn = HTTPServerResponsePart
    typealias OutboundOut = HTTPServerResponsePart

    let loop: GatewayLoop
    var machine: HTTPConnectionStateMachine<RoutedRequest, CallExchange>
    /// The channel context, while the handler is in the pipeline.
    private(set) var context: ChannelHandlerContext?
    /// The client's IP address (for `x-forwarded-for`), read once per connection.
    lazy var clientAddress: String? = context?.channel.remoteAddress?.ipAddress
    /// The one pending look at the connection's clocks, and when it runs.
    private var timeoutCheck: Scheduled<Void>?
    private var timeoutCheckDeadline: NIODeadline?
    /// The context of NIO's response encoder: complete responses, already bytes, are written
    /// from it, so they pass no encoder (``CompleteResponse``).
    private(set) var rawContext: ChannelHandlerContext?
    /// Where complete responses' heads are written (reused).
    var headScratch = ByteBuffer()
    /// The request being answered, for metrics and the access log (see +Telemetry).
    var record: RequestRecord?
    /// The CORS headers of the request being answered, when its route has CORS (see +CORS).
    var cors: CORSResponseHeaders?

    /// A handler for a connection accepted on `loop`.
    init(loop: GatewayLoop) {
        self.loop = loop
        let settings = loop.current.snapshot.config.limits
        self.machine = HTTPConnectionStateMachine(
            limits: .init(
                idleTimeout: .milliseconds(settings.idleTimeoutMilliseconds),
                requestReadTimeout: .milliseconds(settings.requestReadTimeoutMilliseconds),
                drainLimit: settings.maxRequestBodyBytes
            ),
            now: loop.eventLoop.now
        )
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        self.rawContext = try? context.pipeline.syncOperations.context(handlerType: HTTPResponseEncoder.self)
        loop.telemetry.metrics.connections.increment()
        armTimeoutCheck()
        loop.register(self)
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        loop.unregister(self)
        loop.telemetry.metrics.connections.decrement()
        recordDisconnect(nil)
        timeoutCheck?.cancel()
        timeoutCheck = nil
        timeoutCheckDeadline = nil
        self.context = nil
        self.rawContext = nil
    }

    // MARK: Inbound

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let part = unwrapInboundIn(data)
        if case .body(let chunk) = part, record != nil { record!.requestBytes += chunk.readableBytes }
        perform(machine.received(part, now: loop.eventLoop.now))
    }

    func channelInactive(context: ChannelHandlerContext) {
        // The client went away: cancel the upstream stream at once.
        recordDisconnect(machine.closed()?.clientDisconnected())
        timeoutCheck?.cancel()
        timeoutCheck = nil
        timeoutCheckDeadline = nil
        context.fireChannelInactive()
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        machine.runningExchange?.clientWritabilityChanged(isWritable: context.channel.isWritable)
        context.fireChannelWritabilityChanged()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        loop.logger.debug("connection error", metadata: ["error": "\(error)"])
        // A malformed WebSocket handshake is answered as a request (see route(_:)).
        if error is NIOWebSocketUpgradeError { return }
        if let parserError = error as? HTTPParserError {
            perform(machine.parseFailed(.malformedRequest(parserError)))
            return
        }
        context.close(promise: nil)
    }

    // MARK: Read backpressure

    func read(context: ChannelHandlerContext) {
        if machine.readRequested() { context.read() }
    }

    /// Stops reading the client (the upstream send buffer is full).
    func pauseReading() {
        machine.pauseReading()
    }

    /// Resumes reading the client.
    func resumeReading() {
        if machine.resumeReading() { context?.read() }
    }

    // MARK: Actions

    func perform(_ action: HTTPConnectionStateMachine<RoutedRequest, CallExchange>.OnPart) {
        guard let context else { return }
        switch action {
        case .none:
            break
        case .route(let head):
            perform(machine.routed(route(head), head: head, now: loop.eventLoop.now))
            armTimeoutCheckIfSooner()
        case .forward(let chunk, let exchange):
            exchange.requestBody(chunk, allocator: context.channel.allocator)
        case .startCall(let head, let request, let body):
            startCall(head: head, request: request, body: body)
        case .endStream(let exchange):
            exchange.requestEnded(allocator: context.channel.allocator)
        case .respond(let head, let answer, let close):
            respond(to: head, answer, close: close)
        case .close:
            context.close(promise: nil)
        case .becameIdle:
            serveQueued()
        }
    }

    /// Serves the requests that queued up while the last one was answered, then a held-back
    /// parse error or read.
    func serveQueued() {
        while context != nil, let action = machine.nextQueuedPart(now: loop.eventLoop.now) {
            perform(action)
        }
        switch machine.idle() {
        case .none: break
        case .read: context?.read()
        case .answerMalformed(let head, let error): respond(to: head, error: error, close: true)
        }
    }

    // MARK: Clocks

    private func armTimeoutCheck() {
        guard let context, let at = machine.nextDeadline(now: loop.eventLoop.now) else { return }
        timeoutCheckDeadline = at
        timeoutCheck = context.eventLoop.assumeIsolated().scheduleTask(deadline: at) { [self] in
            self.timeoutCheck = nil
            self.timeoutCheckDeadline = nil
            guard let context = self.context, context.channel.isActive else { return }
            switch self.machine.timeoutCheck(now: self.loop.eventLoop.now) {
            case .none: break
            case .close: context.close(promise: nil)
            case .respond(let head, let error): self.respond(to: head, error: error, close: true)
            }
            self.armTimeoutCheck()
        }
    }

    /// A request head can start a clock that runs out before the pending look (a body that must
    /// arrive within `requestReadTimeout`, while the look was set for the idle deadline): the
    /// look moves earlier, so a stalled body gets its 408 on time, not at the idle deadline.
    private func armTimeoutCheckIfSooner() {
        guard let scheduled = timeoutCheckDeadline, let at = machine.nextDeadline(now: loop.eventLoop.now),
            at < scheduled
        else { return }
        timeoutCheck?.cancel()
        timeoutCheck = nil
        armTimeoutCheck()
    }
}

// MARK: Drain

extension HTTPConnectionHandler: DrainableConnection {
    func beginDrain() {
        if case .close = machine.drain() { context?.close(promise: nil) }
    }

    func cancelForShutdown() {
        if let exchange = machine.runningExchange {
            // Ends in the emitter's answer (503, or a stream's error element), then the close.
            exchange.fail(GatewayError(code: .unavailable, message: "the gateway is shutting down"))
        } else {
            context?.close(promise: nil)
        }
    }

    func closeNow() {
        context?.close(promise: nil)
    }
}

@available(*, unavailable)
extension HTTPConnectionHandler: Sendable {}
