import NIOCore
import NIOHTTP1

/// Writing answers: complete responses (a unary call's, or an error's) and the end of a streamed
/// one; after either, the connection goes on as the state machine says.
extension HTTPConnectionHandler {
    /// Writes a complete response.
    /// - Parameters:
    ///   - head: The request answered.
    ///   - status: The HTTP status.
    ///   - headers: The response headers (`Content-Type`, `Content-Length`...).
    ///   - body: The body, compressed here when the client accepts gzip and it is worth it.
    ///   - close: Close the connection after this response whatever the request asked.
    func respond(to head: HTTPRequestHead, status: HTTPResponseStatus, headers: HTTPHeaders, body: ByteBuffer?, close: Bool = false) {
        guard let context else { return }
        let keepAlive = head.isKeepAlive && !close
        var headers = headers
        let body = body.map {
            ResponseCompression(settings: loop.current.snapshot.config.compression)
                .apply(to: $0, headers: &headers, request: head, allocator: context.channel.allocator)
        }
        if !keepAlive { headers.replaceOrAdd(name: "Connection", value: "close") }
        context.write(wrapOutboundOut(.head(HTTPResponseHead(version: head.version, status: status, headers: headers))), promise: nil)
        if let body, head.method != .HEAD {
            context.write(wrapOutboundOut(.body(.byteBuffer(body))), promise: nil)
        }
        responseWritten(keepAlive: keepAlive, end: true)
    }

    /// Writes `error` as a google.rpc.Status JSON response (with the headers its status needs,
    /// such as `Allow` on a 405).
    func respond(to head: HTTPRequestHead, error: GatewayError, close: Bool = false) {
        guard let context else { return }
        var body = context.channel.allocator.buffer(capacity: 128)
        error.writeJSONBody(into: &body, transcoder: loop.current.snapshot.errorTranscoder)
        var headers = HTTPHeaders()
        headers.add(name: "Content-Type", value: "application/json")
        headers.add(name: "Content-Length", value: String(body.readableBytes))
        error.addHTTPHeaders(to: &headers)
        respond(to: head, status: error.httpStatus, headers: headers, body: body, close: close)
    }

    /// A streamed response has ended (its `.end` is written and flushed).
    /// - Parameter close: The stream ended in a way only a closed connection can tell (a raw
    ///   download that failed without trailers): close at once.
    func streamedResponseEnded(head: HTTPRequestHead, close: Bool) {
        guard let context else { return }
        if close {
            context.close(promise: nil)
            return
        }
        responseWritten(keepAlive: head.isKeepAlive, end: false)
    }

    /// After a response: writes its end (when `end`) and goes on as the state machine says —
    /// close, drain the rest of the request, serve what queued, or read on.
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
        if end { context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil) }
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
