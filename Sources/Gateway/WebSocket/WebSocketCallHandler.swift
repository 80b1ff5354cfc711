import Logging
import NIOCore
import NIOHTTP1
import NIOWebSocket
import ProtoSchema
import Routing
import Transcoding
import Upstream

/// Runs one streaming gRPC call over an upgraded WebSocket connection, all on the
/// connection's event loop.
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
final class WebSocketCallHandler: ChannelDuplexHandler, UpstreamCallDelegate, TickFlushing {
    typealias InboundIn = WebSocketFrame
    typealias OutboundIn = WebSocketFrame
    typealias OutboundOut = WebSocketFrame

    /// How client frames become request messages.
    private enum RequestSide {
        /// Client or bidi streaming: every frame is a message.
        case stream(RequestStreamEncoder)
        /// Server streaming with a body: the first frame is the one request message.
        case awaitingSingleMessage
        /// No more request messages are accepted.
        case done
    }

    /// How long to wait for the client's close frame after sending ours before dropping the
    /// connection.
    static let closeHandshakeTimeout = TimeAmount.seconds(2)

    private let snapshot: GatewaySnapshot
    private let upstreams: LoopUpstreams
    private let match: RouteMatch
    private let head: HTTPRequestHead
    private let logger: Logger
    private let bodyWriter: ResponseBodyWriter
    /// Whether request frames are raw bytes (else each is one JSON value).
    private let bodyIsRaw: Bool
    private var framer: StreamFramer
    private var context: ChannelHandlerContext?
    private var call: UpstreamCall?
    private var requestSide = RequestSide.done
    /// The call has ended (status received, failed or cancelled).
    private var finished = false
    private var closeSent = false
    private var clientClosed = false
    private var readingPaused = false
    private var readPending = false
    private var receiveGate = UpstreamReceiveGate()
    /// Whether a flush is scheduled for this tick (``TickFlushing``).
    var flushScheduled = false
    private var closeTimeout: Scheduled<Void>?

    init(snapshot: GatewaySnapshot, upstreams: LoopUpstreams, match: RouteMatch, head: HTTPRequestHead, logger: Logger) {
        self.snapshot = snapshot
        self.upstreams = upstreams
        self.match = match
        self.head = head
        self.logger = logger
        self.bodyWriter = ResponseBodyWriter(route: match.route, snapshot: snapshot)
        self.bodyIsRaw = RequestBodyForm(route: match.route, pool: snapshot.pool).isRaw
        self.framer = StreamFramer(framing: .messagePerFrame, envelope: snapshot.config.streaming.envelope)
    }

    // MARK: Start

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        let route = match.route
        let allocator = context.channel.allocator
        do {
            let call = try upstreams.startCall(
                route: route,
                headers: head.headers,
                clientAddress: context.channel.remoteAddress?.ipAddress,
                snapshot: snapshot,
                delegate: self
            )
            self.call = call
            if route.method.isClientStreaming {
                requestSide = .stream(
                    try RequestStreamEncoder(
                        route: route,
                        bindings: match.bindings,
                        contentType: head.headers.first(name: "content-type"),
                        snapshot: snapshot,
                        allocator: allocator
                    )
                )
            } else if case .none = RequestBodyForm(route: route, pool: snapshot.pool) {
                let message = try RequestBuilder(snapshot: snapshot, allocator: allocator)
                    .build(match: match, body: allocator.buffer(capacity: 0), contentType: nil)
                call.send(message: message)
                call.finish()
            } else {
                requestSide = .awaitingSingleMessage
            }
        } catch {
            fail(error)
        }
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        self.context = nil
    }

    // MARK: Client frames

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let frame = unwrapInboundIn(data)
        switch frame.opcode {
        case .text, .binary:
            guard !finished else { return }
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
            case .done where match.route.method.isClientStreaming:
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
        guard let call else { return }
        do throws(GatewayError) {
            switch requestSide {
            case .stream where payload.readableBytes == 0 && !bodyIsRaw:
                endOfRequestStream()
            case .stream(var encoder):
                requestSide = .done
                let message = try encoder.encode(frame: payload, allocator: allocator)
                requestSide = .stream(encoder)
                call.send(message: message)
                if call.isSendBufferFull { readingPaused = true }
            case .awaitingSingleMessage:
                requestSide = .done
                let message = try RequestBuilder(snapshot: snapshot, allocator: allocator)
                    .build(match: match, body: payload, contentType: head.headers.first(name: "content-type"))
                call.send(message: message)
                call.finish()
            case .done:
                throw GatewayError.invalidArgument(
                    "\(match.route.method.fullName) takes one request message; the session sent another"
                )
            }
        } catch {
            fail(error)
        }
    }

    /// The client has no more messages (its close frame, or an empty text frame on a JSON
    /// route): half-close the call; responses keep flowing until its status.
    private func endOfRequestStream() {
        requestSide = .done
        call?.finish()
    }

    /// Ends the session because of the client's input or a transcoding failure.
    private func fail(_ error: GatewayError) {
        finished = true
        requestSide = .done
        call?.cancel()
        call = nil
        sendClose(WebSocketCloseStatus(error: error))
    }

    // MARK: Connection events

    func channelInactive(context: ChannelHandlerContext) {
        closeTimeout?.cancel()
        if !finished {
            // The client went away: cancel the upstream stream at once.
            finished = true
            call?.cancel()
            call = nil
        }
        context.fireChannelInactive()
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        if let call, !finished {
            receiveGate.follow(clientWritable: context.channel.isWritable, call: call)
        }
        context.fireChannelWritabilityChanged()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        logger.debug("websocket error", metadata: ["error": "\(error)"])
        if error is NIOWebSocketFrameAggregator.Error {
            let limit = snapshot.config.streaming.maxMessageBytes
            fail(GatewayError(code: .resourceExhausted, message: "a message exceeds the limit of \(limit) bytes"))
        } else {
            // Protocol errors were answered by NIO's WebSocketProtocolErrorHandler.
            finished = true
            call?.cancel()
            call = nil
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

    // MARK: Upstream

    func upstreamCall(_ call: UpstreamCall, didReceiveHeaders headers: [(name: String, value: String)]) {}

    func upstreamCall(_ call: UpstreamCall, didReceiveMessage message: ByteBuffer) {
        guard !finished, let context else { return }
        let frame: WebSocketFrame
        do {
            if bodyWriter.isRaw {
                frame = WebSocketFrame(fin: true, opcode: .binary, data: try bodyWriter.raw(message).data)
            } else {
                var text = context.channel.allocator.buffer(capacity: message.readableBytes * 2 + 16)
                try framer.writeMessage(into: &text) { (out: inout ByteBuffer) throws(TranscodingError) in
                    try self.bodyWriter.writeJSON(message, into: &out)
                }
                frame = WebSocketFrame(fin: true, opcode: .text, data: text)
            }
        } catch {
            fail(GatewayError(code: .internalError, message: "cannot transcode the response: \(error.message)", cause: error))
            return
        }
        context.write(wrapOutboundOut(frame), promise: nil)
        scheduleFlush(context: context)
        receiveGate.follow(clientWritable: context.channel.isWritable, call: call)
    }

    func upstreamCall(_ call: UpstreamCall, didFinishWith status: GRPCStatus, trailers: [(name: String, value: String)]) {
        guard !finished else { return }
        finished = true
        self.call = nil
        sendClose(WebSocketCloseStatus(code: status.code, message: status.message))
    }

    func upstreamCallSendBufferDrained(_ call: UpstreamCall) {
        guard readingPaused else { return }
        readingPaused = false
        if readPending, let context {
            readPending = false
            context.read()
        }
    }

    // MARK: Writing

    /// Sends the close frame with the call's status, then closes the connection once the client
    /// answers with its own close frame (or has already sent it), or after a grace period.
    private func sendClose(_ status: WebSocketCloseStatus) {
        guard !closeSent, let context else { return }
        closeSent = true
        // Reading resumes so the client's close frame can arrive.
        readingPaused = false
        let frame = WebSocketFrame(fin: true, opcode: .connectionClose, data: status.payload(allocator: context.channel.allocator))
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

@available(*, unavailable)
extension WebSocketCallHandler: Sendable {}
