import NIOCore
import NIOHTTP1
import ProtoSchema
import TextCoding
import Transcoding

/// Writes the HTTP response of one call in the form its route and `Accept` header ask for.
///
/// - Unary (and client-streaming) calls: one JSON body with `Content-Length`, or the raw bytes of
///   a `bytes`/`google.api.HttpBody` `response_body`.
/// - Server-streaming (and bidi) calls: chunked, one framed message per upstream message
///   (NDJSON by default, SSE for `Accept: text/event-stream`, one JSON array for
///   `Accept: application/json`), flushed as messages arrive: the messages of one event-loop
///   tick (one upstream read) go out as one HTTP chunk and one flush.
///   Raw responses stream the bytes themselves. An error after the first byte is a final
///   `{"error": ...}` element, plus `grpc-status`/`grpc-message` trailers when the client sent
///   `TE: trailers`; a raw stream that fails without trailers is cut short (no final chunk) so the
///   client sees an incomplete transfer instead of a truncated file.
///
/// The client side (``CallClient``) of an HTTP request's ``CallExchange``; it writes through its
/// connection's handler.
final class ResponseEmitter: CallClient, TickFlushing {
    private unowned let connection: HTTPConnectionHandler
    private let head: HTTPRequestHead
    private let snapshot: GatewaySnapshot
    private let isStreaming: Bool
    private let bodyWriter: ResponseBodyWriter
    private var framer: StreamFramer
    private let wantsTrailers: Bool
    /// The backend's response headers, returned as `Grpc-Metadata-*`.
    var responseMetadata: [(name: String, value: String)] = []
    /// Whether the response head has been written (streams only).
    private(set) var hasStarted = false
    private var unaryMessage: ByteBuffer?
    private var extraMessages = 0
    /// Whether the pending chunk is scheduled to go out at the end of this tick (``TickFlushing``).
    var flushScheduled = false
    /// Stream bytes of this tick not yet written: one HTTP chunk per tick instead of one per
    /// message (a chunk costs a header, a pipeline write and an entry in NIO's write queue).
    private var pendingChunk: ByteBuffer?
    /// A pending chunk this large is written at once, so a tick's burst stays bounded.
    private static let pendingChunkLimit = 64 << 10

    /// The writer of `head`'s response, on `connection`.
    init(connection: HTTPConnectionHandler, head: HTTPRequestHead, plan: RoutePlan, snapshot: GatewaySnapshot) {
        self.connection = connection
        self.head = head
        self.snapshot = snapshot
        self.isStreaming = plan.method.isServerStreaming
        self.bodyWriter = plan.response
        let framing = StreamFraming.negotiate(accept: head.headers.first(name: "accept"))
        framer = StreamFramer(framing: framing, envelope: snapshot.config.streaming.envelope)
        wantsTrailers = head.headers[canonicalForm: "te"].contains { $0.lowercased() == "trailers" }
    }

    // MARK: CallClient

    var isClientWritable: Bool { connection.context?.channel.isWritable ?? false }

    var hasStartedResponse: Bool { hasStarted }

    func pauseReadingClient() { connection.pauseReading() }

    func resumeReadingClient() { connection.resumeReading() }

    func callReceivedHeaders(_ headers: [(name: String, value: String)]) {
        responseMetadata = headers
    }

    func callReceivedMessage(_ message: ByteBuffer) throws(GatewayError) {
        guard let context = connection.context else { return }
        do {
            try self.message(message, context: context)
        } catch {
            throw GatewayError(
                code: .internalError,
                message: "cannot transcode the response: \(error.message)",
                cause: error
            )
        }
    }

    func callFinished(_ outcome: CallOutcome, summary: CallSummary) {
        if connection.record != nil { connection.record!.call = summary }
        guard let context = connection.context else { return }
        switch outcome {
        case .failed(let error, let trailers) where hasStarted:
            let mustClose = finishStarted(error: error, trailers: trailers, context: context)
            connection.streamedResponseEnded(head: head, close: mustClose)
        case .ok(let trailers) where hasStarted:
            let mustClose = finishStarted(error: nil, trailers: trailers, context: context)
            connection.streamedResponseEnded(head: head, close: mustClose)
        case .failed(let error, _):
            connection.respond(to: head, error: error)
        case .ok(let trailers):
            do {
                connection.respond(
                    to: head,
                    try completeResponse(trailers: trailers, allocator: context.channel.allocator)
                )
            } catch {
                connection.respond(to: head, error: error)
            }
        }
    }

    // MARK: Messages

    /// One upstream message: stored (unary) or written to the client (streams).
    private func message(_ message: ByteBuffer, context: ChannelHandlerContext) throws(TranscodingError) {
        guard isStreaming else {
            if unaryMessage == nil { unaryMessage = message } else { extraMessages += 1 }
            return
        }
        if bodyWriter.isRaw {
            var raw = try bodyWriter.raw(message)
            if !hasStarted {
                writeStreamHead(contentType: raw.contentType, context: context)
            }
            guard raw.data.readableBytes > 0 else { return }
            if pendingChunk == nil {
                // The first message of the tick is kept as it is (no copy when it is the only one).
                pendingChunk = raw.data
            } else {
                pendingChunk!.writeBuffer(&raw.data)
            }
        } else {
            var chunk =
                pendingChunk.take() ?? context.channel.allocator.buffer(capacity: message.readableBytes * 2 + 32)
            if !hasStarted {
                writeStreamHead(contentType: framer.contentType, context: context)
                framer.writePrologue(into: &chunk)
            }
            let messageStart = chunk.writerIndex
            do {
                try framer.writeMessage(into: &chunk) { (out: inout ByteBuffer) throws(TranscodingError) in
                    try bodyWriter.writeJSON(message, into: &out)
                }
            } catch {
                // Nothing of a message that failed to transcode goes out.
                chunk.moveWriterIndex(to: messageStart)
                pendingChunk = chunk
                throw error
            }
            pendingChunk = chunk
        }
        if pendingChunk!.readableBytes >= Self.pendingChunkLimit {
            writeHeldBack(context: context)
        }
        scheduleFlush(context: context)
    }

    /// Writes the stream bytes collected this tick as one HTTP chunk (``TickFlushing``).
    func writeHeldBack(context: ChannelHandlerContext) {
        guard let chunk = pendingChunk.take() else { return }
        if connection.record != nil { connection.record!.responseBytes += chunk.readableBytes }
        context.write(NIOAny(HTTPServerResponsePart.body(.byteBuffer(chunk))), promise: nil)
    }

    private func writeStreamHead(contentType: String, context: ChannelHandlerContext) {
        hasStarted = true
        var headers = HTTPHeaders()
        headers.add(name: "Content-Type", value: contentType)
        if framer.framing == .serverSentEvents, !bodyWriter.isRaw {
            headers.add(name: "Cache-Control", value: "no-cache")
        }
        if wantsTrailers { headers.add(name: "Trailer", value: "grpc-status, grpc-message") }
        snapshot.headerPolicy.responseHeaders(metadata: responseMetadata, trailers: [], into: &headers)
        if !connection.machine.keepsAlive(head.isKeepAlive) { headers.add(name: "Connection", value: "close") }
        if let id = connection.record?.requestID { headers.add(name: "X-Request-Id", value: id) }
        connection.cors?.add(to: &headers)
        connection.record?.sentStatus = 200
        let responseHead = HTTPResponseHead(version: head.version, status: .ok, headers: headers)
        context.write(NIOAny(HTTPServerResponsePart.head(responseHead)), promise: nil)
    }

    // MARK: Ends

    /// Ends a stream whose head was written: error element, epilogue, trailers.
    /// - Returns: whether the connection must close (a raw stream failed without trailers).
    private func finishStarted(
        error: GatewayError?,
        trailers: [(name: String, value: String)],
        context: ChannelHandlerContext
    ) -> Bool {
        writeHeldBack(context: context)
        if !bodyWriter.isRaw {
            var tail = context.channel.allocator.buffer(capacity: 128)
            if let error {
                framer.writeError(into: &tail) { error.writeJSONBody(into: &$0, transcoder: snapshot.errorTranscoder) }
            }
            framer.writeEpilogue(into: &tail)
            if tail.readableBytes > 0 {
                if connection.record != nil { connection.record!.responseBytes += tail.readableBytes }
                context.write(NIOAny(HTTPServerResponsePart.body(.byteBuffer(tail))), promise: nil)
            }
        } else if error != nil, !wantsTrailers {
            // Raw bytes have no in-band error form: the connection closes without the final chunk.
            connection.endRecord(status: 200)
            context.flush()
            return true
        }
        var httpTrailers: HTTPHeaders?
        if wantsTrailers {
            var fields = HTTPHeaders()
            fields.add(name: "grpc-status", value: String(error?.code.rawValue ?? 0))
            if let error { fields.add(name: "grpc-message", value: PercentEncoding.grpcMessageEncoded(error.message)) }
            snapshot.headerPolicy.responseHeaders(metadata: [], trailers: trailers, into: &fields)
            httpTrailers = fields
        }
        // Recorded before the last flush, so a client that has the whole response sees it counted.
        connection.endRecord(status: 200)
        context.writeAndFlush(NIOAny(HTTPServerResponsePart.end(httpTrailers)), promise: nil)
        return false
    }

    /// The whole response of a call that sent no stream bytes and ended OK: the unary message,
    /// or an empty stream.
    private func completeResponse(
        trailers: [(name: String, value: String)],
        allocator: ByteBufferAllocator
    ) throws(GatewayError) -> CompleteResponse {
        var response: CompleteResponse
        if isStreaming {
            var body = allocator.responseBodyBuffer(capacity: 16)
            if bodyWriter.isRaw {
                response = CompleteResponse(status: .ok, contentType: bodyWriter.defaultRawContentType, body: body)
            } else {
                framer.writePrologue(into: &body)
                framer.writeEpilogue(into: &body)
                response = CompleteResponse(status: .ok, contentType: framer.contentType, body: body)
            }
        } else {
            guard let message = unaryMessage, extraMessages == 0 else {
                let problem = unaryMessage == nil ? "no response message" : "more than one response message"
                throw GatewayError(code: .internalError, message: "backend sent \(problem)")
            }
            do {
                if bodyWriter.isRaw {
                    let raw = try bodyWriter.raw(message)
                    response = CompleteResponse(status: .ok, contentType: raw.contentType, body: raw.data)
                } else {
                    var body = allocator.responseBodyBuffer(capacity: message.readableBytes * 2 + 16)
                    try bodyWriter.writeJSON(message, into: &body)
                    response = CompleteResponse(status: .ok, contentType: "application/json", body: body)
                }
            } catch {
                throw GatewayError(
                    code: .internalError,
                    message: "cannot transcode the response: \(error.message)",
                    cause: error
                )
            }
        }
        snapshot.headerPolicy.responseHeaders(metadata: responseMetadata, trailers: trailers, into: &response.fields)
        return response
    }
}

@available(*, unavailable)
extension ResponseEmitter: Sendable {}
