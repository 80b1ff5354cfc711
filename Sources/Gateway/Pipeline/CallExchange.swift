import NIOCore
import NIOHTTP1
import ProtoSchema
import Routing
import Transcoding
import Upstream

/// One HTTP request's upstream call: receives the backend's response parts (on the request's
/// event loop) and writes the HTTP response.
///
/// Unary calls answer with one JSON body and `Content-Length`. Server-streaming calls answer
/// with chunked `application/x-ndjson`, one message per line, each flushed as it arrives; an
/// error before the first message is an ordinary HTTP error, after it a final `{"error":...}` line.
final class CallExchange: UpstreamCallDelegate {
    private let handler: HTTPRequestHandler
    private let head: HTTPRequestHead
    private let route: Route
    private let snapshot: GatewaySnapshot
    /// The upstream call, set right after it starts.
    var call: UpstreamCall?

    private var responseMetadata: [(name: String, value: String)] = []
    private var unaryMessage: ByteBuffer?
    private var extraMessages = 0
    private var streamStarted = false
    private var finished = false

    init(handler: HTTPRequestHandler, head: HTTPRequestHead, route: Route, snapshot: GatewaySnapshot) {
        self.handler = handler
        self.head = head
        self.route = route
        self.snapshot = snapshot
    }

    /// The client closed its connection: cancel the upstream stream now.
    func clientDisconnected() {
        guard !finished else { return }
        finished = true
        call?.cancel()
    }

    func upstreamCall(_ call: UpstreamCall, didReceiveHeaders headers: [(name: String, value: String)]) {
        responseMetadata = headers
    }

    func upstreamCall(_ call: UpstreamCall, didReceiveMessage message: ByteBuffer) {
        guard !finished else { return }
        if route.method.isServerStreaming {
            writeStreamLine(message)
        } else if unaryMessage == nil {
            unaryMessage = message
        } else {
            extraMessages += 1
        }
    }

    func upstreamCall(
        _ call: UpstreamCall,
        didFinishWith status: GRPCStatus,
        trailers: [(name: String, value: String)]
    ) {
        guard !finished else { return }
        finished = true
        defer { self.call = nil }
        if route.method.isServerStreaming {
            finishStream(status: status)
            return
        }
        guard status.code == .ok else {
            handler.respond(to: head, error: GatewayError(status: status))
            return
        }
        guard let message = unaryMessage, extraMessages == 0 else {
            let problem = unaryMessage == nil ? "no response message" : "more than one response message"
            handler.respond(to: head, error: GatewayError(code: .internalError, message: "backend sent \(problem)"))
            return
        }
        guard let context = handler.channelContext else { return }
        var body = context.channel.allocator.buffer(capacity: message.readableBytes * 2 + 16)
        do {
            try writeJSON(message, into: &body)
        } catch {
            handler.respond(to: head, error: GatewayError(code: .internalError, message: "cannot transcode the response: \(error)", cause: error))
            return
        }
        var headers = HTTPHeaders()
        headers.add(name: "Content-Type", value: "application/json")
        headers.add(name: "Content-Length", value: String(body.readableBytes))
        snapshot.headerPolicy.responseHeaders(metadata: responseMetadata, trailers: trailers, into: &headers)
        handler.respond(to: head, status: .ok, headers: headers, body: body)
    }

    private func writeJSON(_ message: ByteBuffer, into body: inout ByteBuffer) throws(TranscodingError) {
        if let field = route.responseBody {
            try snapshot.responseTranscoder.write(protobuf: message, field: field, of: route.method.output, into: &body)
        } else {
            try snapshot.responseTranscoder.write(protobuf: message, as: route.method.output, into: &body)
        }
    }

    // MARK: Server streaming (NDJSON)

    private func writeStreamLine(_ message: ByteBuffer) {
        guard let context = handler.channelContext else { return }
        var line = context.channel.allocator.buffer(capacity: message.readableBytes * 2 + 16)
        do {
            try writeJSON(message, into: &line)
        } catch {
            call?.cancel()
            return
        }
        line.writeInteger(UInt8(ascii: "\n"))
        if !streamStarted {
            streamStarted = true
            var headers = HTTPHeaders()
            headers.add(name: "Content-Type", value: "application/x-ndjson")
            headers.add(name: "Transfer-Encoding", value: "chunked")
            snapshot.headerPolicy.responseHeaders(metadata: responseMetadata, trailers: [], into: &headers)
            if !head.isKeepAlive { headers.add(name: "Connection", value: "close") }
            context.write(handler.wrap(.head(HTTPResponseHead(version: head.version, status: .ok, headers: headers))), promise: nil)
        }
        context.writeAndFlush(handler.wrap(.body(.byteBuffer(line))), promise: nil)
    }

    private func finishStream(status: GRPCStatus) {
        guard let context = handler.channelContext else { return }
        guard streamStarted else {
            if status.code == .ok {
                var headers = HTTPHeaders()
                headers.add(name: "Content-Type", value: "application/x-ndjson")
                headers.add(name: "Content-Length", value: "0")
                handler.respond(to: head, status: .ok, headers: headers, body: nil)
            } else {
                handler.respond(to: head, error: GatewayError(status: status))
            }
            return
        }
        if status.code != .ok {
            var line = context.channel.allocator.buffer(capacity: 128)
            line.writeStaticString("{\"error\":")
            GatewayError(status: status).writeJSONBody(into: &line)
            line.writeStaticString("}\n")
            context.write(handler.wrap(.body(.byteBuffer(line))), promise: nil)
        }
        let done = context.eventLoop.makePromise(of: Void.self)
        context.writeAndFlush(handler.wrap(.end(nil)), promise: done)
        if !head.isKeepAlive {
            done.futureResult.whenComplete { _ in context.close(promise: nil) }
        }
        handler.exchangeFinished()
    }
}

@available(*, unavailable)
extension CallExchange: Sendable {}
