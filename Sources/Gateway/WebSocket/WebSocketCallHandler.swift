import Logging
import NIOCore
import NIOHTTP1
import NIOWebSocket
import Prometheus
import ProtoSchema
import Routing
import Transcoding
import Upstream

/// Runs one streaming gRPC call over an upgraded WebSocket connection, all on the connection's
/// event loop: the client side (``CallClient``) of the session's ``CallExchange``.
///
/// Each data frame from the client is one request message: a text frame holds one JSON value,
/// and on a raw route (`body` naming a `bytes` field or `google.api.HttpBody`) a frame's bytes
/// are one chunk. Path and query bindings are merged into every message. Each response message
/// is one frame back: a JSON text frame, or a binary frame of raw bytes. The client's close frame
/// half-closes a client or bidi stream (so does an empty text frame on a JSON route, for clients
/// such as browsers that stop reading once they send a close frame) and responses keep flowing;
/// the call's final status ends the session as a close frame (``WebSocketCloseStatus``).
///
/// A server-streaming method takes exactly one request message: the path and query alone when
/// its route has no `body` (sent at once), otherwise the first frame.
///
/// Backpressure is the HTTP path's: a full upstream send buffer stops reading the client, an
/// unwritable client socket pauses the upstream stream. A client that vanishes cancels the call.
final class WebSocketCallHandler: ChannelDuplexHandler, CallClient, TickFlushing {
    typealias InboundIn = WebSocketFrame
    typealias OutboundIn = WebSocketFrame
    typealias OutboundOut = WebSocketFrame

    /// How client frames become request messages.
    private enum RequestSide {
        /// Client or bidi streaming: every frame is a message.
        case stream
        /// Server streaming with a body: the first frame is the one request message.
        case awaitingSingleMessage
        /// No more request messages are accepted.
        case done
    }

    /// How long to wait for the client's close frame after sending ours before dropping the
    /// connection.
    static let closeHandshakeTimeout = TimeAmount.seconds(2)

    private let loop: GatewayLoop
    private let request: RoutedRequest
    private let head: HTTPRequestHead
    private var framer: StreamFramer
    private var context: ChannelHandlerContext?
    private var exchange: CallExchange?
    private var requestSide = RequestSide.done
    /// The call has ended (status received, failed or cancelled).
    private var finished = false
    private var framesSent = false
    private var closeSent = false
    private var clientClosed = false
    private var readingPaused = false
    private var readPending = false
    /// Whether a flush is scheduled for this tick (``TickFlushing``).
    var flushScheduled = false
    private var closeTimeout: Scheduled<Void>?
    /// The server's grace period ran out: the session ends with close code 1001 (going away).
    private var goingAway = false
    /// The session as one request, for metrics and the access log (ended with the session).
    private var record: RequestRecord
    private var recordEnded = false
    private var remote: String?

    /// The session of the upgraded request `head`, routed to `request`.
    /// - Parameter requestID: The `X-Request-Id` the handshake answered with (access log on).
    init(loop: GatewayLoop, request: RoutedRequest, head: HTTPRequestHead, requestID: String?) {
        self.loop = loop
        self.request = request
        self.head = head
        self.record = loop.telemetry.begin(
            head,
            config: request.live.snapshot.config,
            requestID: requestID,
            now: loop.eventLoop.now
        )
        record.route = request.plan.telemetry
        self.framer = StreamFramer(framing: .messagePerFrame, envelope: request.live.snapshot.config.streaming.envelope)
    }

    // MARK: Start

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        loop.register(self)
        loop.telemetry.metrics.connections.increment()
        remote = context.channel.remoteAddress?.ipAddress
        let plan = request.plan
        let snapshot = request.live.snapshot
        let allocator = context.channel.allocator
        do throws(GatewayError) {
            var encoder: RequestStreamEncoder?
            var message: ByteBuffer?
            if plan.method.isClientStreaming {
                encoder = try RequestStreamEncoder(
                    plan: plan.request,
                    bindings: request.match.bindings,
                    contentType: head.headers.first(name: "content-type"),
                    maxMessageBytes: snapshot.config.streaming.maxMessageBytes,
                    allocator: allocator
                )
            } else if case .none = plan.request.body {
                message = try RequestBuilder.build(
                    plan.request,
                    bindings: request.match.bindings,
                    body: allocator.buffer(capacity: 0),
                    contentType: nil,
                    allocator: allocator
                )
            }
            var metadata = snapshot.headerPolicy.metadata(
                for: head.headers,
                clientAddress: remote,
                scheme: snapshot.scheme
            )
            if let id = record.requestID { RequestID.forward(id, in: &metadata) }
            request.admitted?.apply(to: &metadata)
            let exchange = try CallExchange(
                plan: plan,
                cluster: request.live.clusters[plan.backend],
                metadata: metadata,
                timeout: try CallStart.timeout(for: plan, headers: head.headers),
                client: self,
                requestEncoder: encoder,
                metrics: request.live.snapshot.config.metricsEnabled ? loop.telemetry.metrics : nil
            )
            self.exchange = exchange
            if encoder != nil {
                requestSide = .stream
            } else if let message {
                exchange.sendWhole(message)
            } else {
                requestSide = .awaitingSingleMessage
            }
        } catch {
            fail(error)
        }
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        loop.unregister(self)
        self.context = nil
        loop.telemetry.metrics.connections.decrement()
        endRecord()
    }

    /// Ends the session's record (once): status 101, the upgrade's.
    private func endRecord() {
        guard !recordEnded else { return }
        recordEnded = true
        loop.telemetry.end(record, status: 101, remote: remote, now: loop.eventLoop.now)
    }

    // MARK: Client frames

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let frame = unwrapInboundIn(data)
        switch frame.opcode {
        case .text, .binary:
            guard !finished else { return }
            record.requestBytes += frame.length
            requestMessage(frame.unmaskedData, allocator: context.channel.allocator)
        case .ping:
            let pong = WebSocketFrame(fin: true, opcode: .pong, data: frame.unmaskedData)
            context.writeAndFlush(wrapOutboundOut(pong), promise: nil)
        case .connectionClose:
            clientClosed = true
            if closeSent {
                context.close(promise: nil)
                return
            }
            switch requestSide {
            case .stream:
                endOfRequestStream()
            case .awaitingSingleMessage:
                fail(.invalidArgument("the session closed before its request message"))
            case .done where request.plan.method.isClientStreaming:
                break
            case .done:
                // A server stream the client no longer wants.
                fail(GatewayError(code: .cancelled, message: "the client closed the session"))
            }
        default:
            break
        }
    }

    private func requestMessage(_ payload: ByteBuffer, allocator: ByteBufferAllocator) {
        guard let exchange else { return }
        switch requestSide {
        case .stream where payload.readableBytes == 0 && !request.plan.request.body.isRaw:
            endOfRequestStream()
        case .stream:
            exchange.requestFrame(payload, allocator: allocator)
        case .awaitingSingleMessage:
            requestSide = .done
            do {
                exchange.sendWhole(
                    try RequestBuilder.build(
                        request.plan.request,
                        bindings: request.match.bindings,
                        body: payload,
                        contentType: head.headers.first(name: "content-type"),
                        allocator: allocator
                    )
                )
            } catch {
                fail(error)
            }
        case .done:
            fail(
                .invalidArgument("\(request.plan.method.fullName) takes one request message; the session sent another")
            )
        }
    }

    /// The client has no more messages (its close frame, or an empty text frame on a JSON
    /// route): half-close the call; responses keep flowing until its status.
    private func endOfRequestStream() {
        requestSide = .done
        exchange?.endRequestStream()
    }

    /// Ends the session because of the client's input or a failure to start or transcode.
    private func fail(_ error: GatewayError) {
        requestSide = .done
        if let exchange, !finished {
            exchange.fail(error)  // ends in callFinished
        } else {
            finished = true
            sendClose(WebSocketCloseStatus(error: error))
        }
    }

    // MARK: Connection events

    func channelInactive(context: ChannelHandlerContext) {
        closeTimeout?.cancel()
        if !finished {
            // The client went away: cancel the upstream stream at once.
            finished = true
            if let summary = exchange?.clientDisconnected() { record.call = summary }
        }
        exchange = nil
        endRecord()
        context.fireChannelInactive()
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        exchange?.clientWritabilityChanged(isWritable: context.channel.isWritable)
        context.fireChannelWritabilityChanged()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        loop.logger.debug("websocket error", metadata: ["error": "\(error)"])
        if error is NIOWebSocketFrameAggregator.Error {
            let limit = request.live.snapshot.config.streaming.maxMessageBytes
            fail(GatewayError(code: .resourceExhausted, message: "a message exceeds the limit of \(limit) bytes"))
        } else {
            // Protocol errors were answered by NIO's WebSocketProtocolErrorHandler.
            finished = true
            exchange?.clientDisconnected()
            context.close(promise: nil)
        }
    }

    func read(context: ChannelHandlerContext) {
        if readingPaused {
            readPending = true
        } else {
            context.read()
        }
    }

    // MARK: CallClient

    var isClientWritable: Bool { context?.channel.isWritable ?? false }

    var hasStartedResponse: Bool { framesSent }

    func pauseReadingClient() {
        readingPaused = true
    }

    func resumeReadingClient() {
        guard readingPaused else { return }
        readingPaused = false
        if readPending, let context {
            readPending = false
            context.read()
        }
    }

    func callReceivedHeaders(_ headers: [(name: String, value: String)]) {}

    func callReceivedMessage(_ message: ByteBuffer) throws(GatewayError) {
        guard let context else { return }
        let writer = request.plan.response
        let frame: WebSocketFrame
        do {
            if writer.isRaw {
                frame = WebSocketFrame(fin: true, opcode: .binary, data: try writer.raw(message).data)
            } else {
                var text = context.channel.allocator.buffer(capacity: message.readableBytes * 2 + 16)
                try framer.writeMessage(into: &text) { (out: inout ByteBuffer) throws(TranscodingError) in
                    try writer.writeJSON(message, into: &out)
                }
                frame = WebSocketFrame(fin: true, opcode: .text, data: text)
            }
        } catch {
            throw GatewayError(
                code: .internalError,
                message: "cannot transcode the response: \(error.message)",
                cause: error
            )
        }
        framesSent = true
        record.responseBytes += frame.length
        context.write(wrapOutboundOut(frame), promise: nil)
        scheduleFlush(context: context)
    }

    func callFinished(_ outcome: CallOutcome, summary: CallSummary) {
        record.call = summary
        finished = true
        requestSide = .done
        if goingAway {
            sendClose(WebSocketCloseStatus(protocolCode: Self.goingAwayCode, reason: "the gateway is shutting down"))
            return
        }
        switch outcome {
        case .ok: sendClose(WebSocketCloseStatus(code: .ok, message: ""))
        case .failed(let error, _): sendClose(WebSocketCloseStatus(error: error))
        }
    }

    // MARK: Closing

    /// Sends the close frame with the call's status, then closes the connection once the client
    /// answers with its own close frame (or has already sent it), or after a grace period.
    private func sendClose(_ status: WebSocketCloseStatus) {
        guard !closeSent, let context else { return }
        closeSent = true
        // Reading resumes so the client's close frame can arrive.
        readingPaused = false
        let frame = WebSocketFrame(
            fin: true,
            opcode: .connectionClose,
            data: status.payload(allocator: context.channel.allocator)
        )
        let written = context.eventLoop.makePromise(of: Void.self)
        context.writeAndFlush(wrapOutboundOut(frame), promise: written)
        if clientClosed {
            written.futureResult.assumeIsolated().whenComplete { _ in context.close(promise: nil) }
        } else {
            if readPending {
                readPending = false
                context.read()
            }
            closeTimeout = context.eventLoop.assumeIsolated().scheduleTask(in: Self.closeHandshakeTimeout) {
                context.close(promise: nil)
            }
        }
    }
}

// MARK: Drain

extension WebSocketCallHandler: DrainableConnection {
    /// RFC 6455 §7.4.1: the server is going away.
    static let goingAwayCode = 1001

    /// A session runs on through the grace period: nothing to do until it ends.
    func beginDrain() {}

    func cancelForShutdown() {
        guard !closeSent else { return }
        goingAway = true
        let error = GatewayError(code: .unavailable, message: "the gateway is shutting down")
        if exchange != nil, !finished {
            fail(error)  // ends in callFinished, which sends 1001
        } else {
            finished = true
            sendClose(WebSocketCloseStatus(protocolCode: Self.goingAwayCode, reason: error.message))
        }
    }

    func closeNow() {
        context?.close(promise: nil)
    }
}

@available(*, unavailable)
extension WebSocketCallHandler: Sendable {}
