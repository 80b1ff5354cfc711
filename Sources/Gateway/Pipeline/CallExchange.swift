import NIOCore
import NIOHTTP1
import ProtoSchema
import Routing
import Transcoding
import Upstream

/// One HTTP request's upstream call, all on the request's event loop.
///
/// Request side: a unary or server-streaming request arrives whole (bounded) and is sent as one
/// message; a client-streaming or bidi request body is cut into messages as it arrives
/// (``RequestStreamEncoder``) and each goes upstream at once. Response side: see
/// ``ResponseEmitter``. Backpressure runs both ways: a full upstream send buffer stops reading
/// the client, a full client socket pauses the upstream stream.
final class CallExchange: UpstreamCallDelegate {
    private let handler: HTTPRequestHandler
    let head: HTTPRequestHead
    let route: Route
    let snapshot: GatewaySnapshot
    private var emitter: ResponseEmitter
    private var requestEncoder: RequestStreamEncoder?
    /// The upstream call, set right after it starts.
    var call: UpstreamCall?
    private var finished = false
    private var receiveGate = UpstreamReceiveGate()
    /// The retry policy and state of a unary call whose method retries.
    var retry: CallRetry?
    private var receivedHeaders = false

    init(handler: HTTPRequestHandler, head: HTTPRequestHead, route: Route, snapshot: GatewaySnapshot, requestEncoder: RequestStreamEncoder?) {
        self.handler = handler
        self.head = head
        self.route = route
        self.snapshot = snapshot
        self.requestEncoder = requestEncoder
        self.emitter = ResponseEmitter(head: head, route: route, snapshot: snapshot)
    }

    // MARK: Request side

    /// A chunk of a streamed request body: encode complete messages and send them now.
    func requestBody(_ chunk: ByteBuffer, allocator: ByteBufferAllocator) {
        guard !finished, var encoder = requestEncoder, let call else { return }
        do {
            let messages = try encoder.append(chunk, allocator: allocator)
            requestEncoder = encoder
            for message in messages { call.send(message: message) }
        } catch {
            requestEncoder = encoder
            failRequest(error)
            return
        }
        if call.isSendBufferFull { handler.pauseReading() }
    }

    /// The streamed request body ended: send what is left and half-close.
    func requestEnded(allocator: ByteBufferAllocator) {
        guard !finished, let call else { return }
        if var encoder = requestEncoder {
            do {
                for message in try encoder.finish(allocator: allocator) { call.send(message: message) }
            } catch {
                failRequest(error)
                return
            }
            requestEncoder = encoder
        }
        call.finish()
    }

    private func failRequest(_ error: GatewayError) {
        finished = true
        call?.cancel()
        if emitter.hasStarted, let context = handler.channelContext {
            emitter.finishStarted(error: error, trailers: [], context: context)
            handler.exchangeFinished(closeConnection: true)
        } else {
            handler.respond(to: head, error: error, forceClose: true)
        }
    }

    func upstreamCallSendBufferDrained(_ call: UpstreamCall) {
        handler.resumeReading()
    }

    // MARK: Client connection

    /// The client closed its connection: cancel the upstream stream now.
    func clientDisconnected() {
        if call == nil { finished = true }  // between retry attempts
        guard !finished else { return }
        finished = true
        call?.cancel()
    }

    /// The client's socket buffer filled or drained: pause or resume the upstream stream.
    func clientWritabilityChanged(isWritable: Bool) {
        guard let call, !finished else { return }
        receiveGate.follow(clientWritable: isWritable, call: call)
    }

    // MARK: Response side

    func upstreamCall(_ call: UpstreamCall, didReceiveHeaders headers: [(name: String, value: String)]) {
        receivedHeaders = true
        emitter.responseMetadata = headers
    }

    func upstreamCall(_ call: UpstreamCall, didReceiveMessage message: ByteBuffer) {
        guard !finished, let context = handler.channelContext else { return }
        do {
            try emitter.message(message, context: context)
        } catch {
            finished = true
            call.cancel()
            let failure = GatewayError(code: .internalError, message: "cannot transcode the response: \(error.message)", cause: error)
            if emitter.hasStarted {
                emitter.finishStarted(error: failure, trailers: [], context: context)
                handler.exchangeFinished(closeConnection: !head.isKeepAlive)
            } else {
                handler.respond(to: head, error: failure)
            }
            return
        }
        receiveGate.follow(clientWritable: context.channel.isWritable, call: call)
    }

    func upstreamCall(_ call: UpstreamCall, didFinishWith status: GRPCStatus, trailers: [(name: String, value: String)]) {
        guard !finished else { return }
        if retry != nil, let delay = retry?.nextAttempt(after: status, mayRetry: !receivedHeaders && !emitter.hasStarted) {
            // Nothing of this attempt reached the client: try again after the backoff.
            self.call = nil
            handler.channelContext?.eventLoop.assumeIsolated().scheduleTask(in: delay) { [self] in
                guard !finished, let retry else { return }
                handler.restartCall(self, request: retry.request, deadline: retry.deadline)
            }
            return
        }
        finished = true
        defer { self.call = nil }
        guard let context = handler.channelContext else { return }
        if emitter.hasStarted {
            let error = status.code == .ok ? nil : GatewayError(status: status)
            let closeAfter = emitter.finishStarted(error: error, trailers: trailers, context: context)
            handler.exchangeFinished(closeConnection: closeAfter || !head.isKeepAlive)
            return
        }
        guard status.code == .ok else {
            handler.respond(to: head, error: GatewayError(status: status))
            return
        }
        do {
            let response = try emitter.completeResponse(trailers: trailers, allocator: context.channel.allocator)
            handler.respond(to: head, status: .ok, headers: response.headers, body: response.body)
        } catch {
            handler.respond(to: head, error: error)
        }
    }
}

@available(*, unavailable)
extension CallExchange: Sendable {}
