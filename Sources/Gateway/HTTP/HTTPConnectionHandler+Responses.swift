import NIOCore
import NIOHTTP1

/// Writing answers: complete responses (a unary call's, or an error's) and the end of a streamed
/// one; after either, the connection goes on as the state machine says.
extension HTTPConnectionHandler {
    /// Writes a complete response: head and body as one buffer, past NIO's response encoder
    /// (``CompleteResponse``).
    /// - Parameters:
    ///   - head: The request answered.
    ///   - response: The status, headers and body; the body is compressed here when the client
    ///     accepts gzip and it is worth it.
    ///   - close: Close the connection after this response whatever the request asked.
    func respond(to head: HTTPRequestHead, _ response: consuming CompleteResponse, close: Bool = false) {
        guard let context, let rawContext else { return }
        let keepAlive = machine.keepsAlive(head.isKeepAlive) && !close
        var response = response
        ResponseCompression(settings: loop.current.snapshot.config.compression)
            .apply(to: &response, request: head, allocator: context.channel.allocator)
        if record == nil { beginRecord(head) }  // answered before it was routed
        if let id = record?.requestID { response.add(name: "X-Request-Id", value: id) }
        cors.take()?.add(to: &response.fields)
        record?.responseBytes = response.body.readableBytes
        let status = Int(response.status.code)
        let bytes = response.bytes(for: head, keepAlive: keepAlive, scratch: &headScratch)
        rawContext.write(NIOAny(bytes), promise: nil)
        endRecord(status: status)
        responseWritten(keepAlive: keepAlive, end: false)
    }

    /// Writes `error` as a google.rpc.Status JSON response (with the headers its status needs,
    /// such as `Allow` on a 405).
    func respond(to head: HTTPRequestHead, error: GatewayError, close: Bool = false) {
        guard let context else { return }
        var body = context.channel.allocator.responseBodyBuffer(capacity: 128)
        error.writeJSONBody(into: &body, transcoder: loop.current.snapshot.errorTranscoder)
        var response = CompleteResponse(status: error.httpStatus, contentType: "application/json", body: body)
        error.addHTTPHeaders(to: &response)
        respond(to: head, response, close: close)
    }

    /// Writes an answer made without a call: an error, or a local document.
    func respond(to head: HTTPRequestHead, _ answer: LocalAnswer, close: Bool = false) {
        switch answer {
        case .error(let error):
            respond(to: head, error: error, close: close)
        case .document(let contentType, let body):
            respond(to: head, CompleteResponse(status: .ok, contentType: contentType, body: body), close: close)
        case .noContent(let fields):
            var response = CompleteResponse(status: .noContent, contentType: "", body: ByteBuffer())
            response.fields = fields
            respond(to: head, response, close: close)
        }
    }

    /// A streamed response has ended (its `.end` is written and flushed).
    /// - Parameter close: The stream ended in a way only a closed connection can tell (a raw
    ///   download that failed without trailers): close at once.
    func streamedResponseEnded(head: HTTPRequestHead, close: Bool) {
        cors = nil
        endRecord(status: record?.sentStatus ?? 200)  // normally ended before the stream's last flush
        guard let context else { return }
        if close {
            context.close(promise: nil)
            return
        }
        responseWritten(keepAlive: head.isKeepAlive, end: false)
    }

    /// After a response: writes the end of a streamed one (when `end`), flushes, and goes on as
    /// the state machine says — close, drain the rest of the request, serve what queued, or read
    /// on.
    private func responseWritten(keepAlive: Bool, end: Bool) {
        guard let context else { return }
        let next = machine.responseFinished(keepAlive: keepAlive, now: loop.eventLoop.now)
        if case .close = next {
            let flushed = context.eventLoop.makePromise(of: Void.self)
            if end {
                context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: flushed)
            } else {
                context.flush()
                flushed.succeed()
            }
            flushed.futureResult.assumeIsolated().whenComplete { _ in context.close(promise: nil) }
            return
        }
        if end {
            context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
        } else {
            context.flush()
        }
        switch next {
        case .read:
            context.read()
        case .serveQueued:
            context.eventLoop.assumeIsolated().execute { self.serveQueued() }
        case .none, .close:
            break
        }
    }
}
