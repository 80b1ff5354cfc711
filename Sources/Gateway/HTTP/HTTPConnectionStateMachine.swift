import NIOCore
import NIOHTTP1

/// The protocol state of one HTTP/1.1 client connection, without I/O: which request is being
/// read, whether its call is running, which pipelined requests wait, whether reading is paused,
/// and when the connection's clocks run out. ``HTTPConnectionHandler`` feeds it events and does
/// what the returned actions say; tests step it directly with a manual clock.
///
/// One request at a time is served. A request is first *routed* by the handler (the machine does
/// not know routes): it is then collected whole (unary and server-streaming calls, bounded by a
/// body limit), or streamed into a running call (client-streaming and bidi calls), or answered
/// without a call (refused, or a local document: read to its end, then answered). Requests that arrive while a response is being written are
/// queued, and reading stops until they can be served. A response that ends before its request
/// body does leaves the connection *draining*: the rest of the body is read and dropped (up to a
/// bound), so the client can finish sending and read the answer.
///
/// - `Request`: what the handler keeps for a routed request (its match and plan).
/// - `Exchange`: the running call of a request.
struct HTTPConnectionStateMachine<Request, Exchange: AnyObject> {
    enum State {
        /// Waiting for a request head.
        case idle
        /// Collecting the body of a unary or server-streaming request.
        case collecting(HTTPRequestHead, Request, body: ByteBuffer, limit: Int)
        /// A client-streaming or bidi call runs and the request body is still arriving.
        case streaming(HTTPRequestHead, Exchange)
        /// The request's credentials are being verified off the loop (a token not seen before):
        /// its parts wait in the queue, reading stops, until ``settled(_:head:now:)``.
        case holding(HTTPRequestHead)
        /// The request is answered without a call (refused, or a local document): read the rest
        /// of its body, then answer.
        case discarding(HTTPRequestHead, LocalAnswer)
        /// The request is complete; its call writes the response.
        case calling(HTTPRequestHead, Exchange)
        /// The request is complete and is being answered without a call (or its call is being
        /// started).
        case answering(HTTPRequestHead)
        /// Answered before the request ended: drop the rest of its body (at most `budget` more
        /// bytes), then serve the next request or, when `close`, close.
        case draining(budget: Int, close: Bool)
        /// The connection is closing: nothing more is read or answered.
        case closing
    }

    /// The limits the connection runs under.
    struct Limits {
        /// With no request in progress, close after this long without a complete head (0: never).
        var idleTimeout: TimeAmount
        /// A collected body must be complete this long after its head (0: never); also bounds
        /// how long a refused or drained body may take.
        var requestReadTimeout: TimeAmount
        /// The most request-body bytes dropped after an early answer before closing instead.
        var drainLimit: Int
    }

    var state = State.idle
    /// Parts of pipelined requests that arrived while a response was being written.
    private(set) var pipelined = CircularBuffer<HTTPServerRequestPart>()
    /// A parse error to answer once every request before it is answered.
    private(set) var malformedRequest: GatewayError?
    private var readingPaused = false
    private var readPending = false
    /// The server drains (``drain()``): every response says `Connection: close` and the
    /// connection closes after it.
    var isDraining = false
    /// When a request part last arrived or a response last completed (idle timeout).
    var lastActivity: NIODeadline
    /// When the current request's head arrived, or its draining began (request-read timeout).
    var requestStarted: NIODeadline
    let limits: Limits

    init(limits: Limits, now: NIODeadline) {
        self.limits = limits
        self.lastActivity = now
        self.requestStarted = now
    }

    // MARK: Reading

    /// What to do with a part the decoder produced.
    enum OnPart {
        /// Route this request head, then report with ``routed(_:head:now:)``.
        case route(HTTPRequestHead)
        /// Append the chunk to the collected body (done by the machine); nothing to do.
        case none
        /// Feed this chunk to the running call.
        case forward(ByteBuffer, to: Exchange)
        /// The collected request is complete: build its message and start its call.
        case startCall(HTTPRequestHead, Request, body: ByteBuffer)
        /// The streamed request body ended: half-close the call.
        case endStream(Exchange)
        /// Answer without a call (keep-alive as the request allows), then ``responseFinished(now:)``.
        case respond(HTTPRequestHead, LocalAnswer, close: Bool)
        /// Close the connection.
        case close
        /// The connection is idle again: serve what waits, as after a response
        /// (``OnResponseFinished/serveQueued``).
        case becameIdle
    }

    /// A request part arrived.
    mutating func received(_ part: HTTPServerRequestPart, now: NIODeadline) -> OnPart {
        lastActivity = now
        if case .closing = state { return .none }
        if case .holding = state {
            pipelined.append(part)
            return .none
        }
        if case .head = part, isAnswering {
            pipelined.append(part)
            return .none
        }
        if !pipelined.isEmpty {
            pipelined.append(part)
            return .none
        }
        return process(part, now: now)
    }

    private mutating func process(_ part: HTTPServerRequestPart, now: NIODeadline) -> OnPart {
        switch (part, state) {
        case (.head(let head), _):
            requestStarted = now
            return .route(head)
        case (.body(var chunk), .collecting(let head, let request, var body, let limit)):
            if body.readableBytes + chunk.readableBytes > limit {
                // An oversized body is not read to its end: answer now and close.
                state = .closing
                return .respond(head, .error(.bodyTooLarge(limit: limit)), close: true)
            }
            state = .idle  // one reference to the body buffer while appending: no copy
            body.writeBuffer(&chunk)
            state = .collecting(head, request, body: body, limit: limit)
            return .none
        case (.body(let chunk), .streaming(_, let exchange)):
            return .forward(chunk, to: exchange)
        case (.body(let chunk), .draining(let budget, let close)):
            guard chunk.readableBytes <= budget else {
                state = .closing
                return .close
            }
            state = .draining(budget: budget - chunk.readableBytes, close: close)
            return .none
        case (.body, _):
            return .none
        case (.end, .collecting(let head, let request, let body, _)):
            state = .answering(head)
            return .startCall(head, request, body: body)
        case (.end, .streaming(let head, let exchange)):
            state = .calling(head, exchange)
            return .endStream(exchange)
        case (.end, .discarding(let head, let answer)):
            state = .answering(head)
            return .respond(head, answer, close: false)
        case (.end, .draining(_, let close)):
            let closes = close || isDraining
            state = closes ? .closing : .idle
            return closes ? .close : .becameIdle
        case (.end, _):
            return .none
        }
    }

    /// How the handler routed a head.
    enum Routing {
        /// Collect the body (at most `limit` bytes), then start the call.
        case collect(Request, limit: Int)
        /// The call is running; stream the body into it.
        case stream(Exchange)
        /// Answer the request without a call (an error, or a local document) after reading its body.
        case answer(LocalAnswer)
        /// Answer the request now, without reading its body (a client waiting for `100 Continue`
        /// would send nothing), and close after the answer: the body's bytes, if the client sends
        /// them anyway, cannot be told apart from a next request.
        case answerNow(LocalAnswer)
        /// Hold the request until its admission is settled (``settled(_:head:now:)``).
        case hold
    }

    /// The outcome of routing `head`.
    mutating func routed(_ routing: Routing, head: HTTPRequestHead, now: NIODeadline) -> OnPart {
        switch routing {
        case .collect(let request, let limit):
            // Shared until a body arrives: a GET allocates no buffer.
            state = .collecting(head, request, body: emptyBody, limit: limit)
        case .stream(let exchange):
            state = .streaming(head, exchange)
        case .answer(let answer):
            state = .discarding(head, answer)
        case .answerNow(let answer):
            state = .closing
            return .respond(head, answer, close: true)
        case .hold:
            state = .holding(head)
        }
        return .none
    }

    /// The held request's admission is settled: it goes on as `routing` says (not `.hold`
    /// again). Then serve the queue (``nextQueuedPart(now:)`` until nil) and ask
    /// ``readAfterHold()``. Nothing when the connection closed meanwhile.
    mutating func settled(_ routing: Routing, head: HTTPRequestHead, now: NIODeadline) -> OnPart {
        guard case .holding = state else { return .none }
        return routed(routing, head: head, now: now)
    }

    /// Whether to read on after a held request's queue was served (reading stopped while it
    /// was held).
    mutating func readAfterHold() -> Bool {
        if case .read = takeRead() { return true }
        return false
    }

    /// The collected request's call started (the handler answered it itself when it could not).
    mutating func callStarted(_ exchange: Exchange, head: HTTPRequestHead) {
        state = .calling(head, exchange)
    }

    // MARK: Responses

    /// Whether a complete request is being answered (a next head waits in the queue).
    private var isAnswering: Bool {
        switch state {
        case .calling, .answering: true
        default: false
        }
    }

    /// Whether a response written now ends the request early (its body is still arriving).
    var isRequestStillArriving: Bool {
        switch state {
        case .streaming, .collecting, .discarding: true
        default: false
        }
    }

    /// What to do after a response ended.
    enum OnResponseFinished {
        /// Nothing: wait for the next request.
        case none
        /// Close the connection (once the response is flushed).
        case close
        /// Ask the channel for more bytes (reading was held back).
        case read
        /// The connection is idle again and requests (or a parse error) wait: serve them
        /// (``nextQueuedPart(now:)`` until nil, then ``idle()``), on a later tick than the
        /// response's.
        case serveQueued
    }

    /// A response (complete, or the end of a streamed one) was written.
    /// - Parameter keepAlive: Whether the response kept the connection (false: it is closing).
    mutating func responseFinished(keepAlive: Bool, now: NIODeadline) -> OnResponseFinished {
        lastActivity = now
        readingPaused = false
        if case .closing = state { return .close }
        let keepAlive = keepAlive && !isDraining
        if isRequestStillArriving && isDraining {
            // No next request will be served: the rest of this body is not worth reading.
            state = .closing
            return .close
        }
        if isRequestStillArriving {
            requestStarted = now
            state = .draining(budget: limits.drainLimit, close: !keepAlive)
            return takeRead()
        }
        guard keepAlive else {
            state = .closing
            return .close
        }
        state = .idle
        // Most connections have nothing queued: no task for them.
        if !pipelined.isEmpty || malformedRequest != nil { return .serveQueued }
        return takeRead()
    }

    /// The next queued part to process, while the connection can take it; nil when none can.
    mutating func nextQueuedPart(now: NIODeadline) -> OnPart? {
        switch state {
        case .calling, .answering, .closing, .holding: return nil
        default: break
        }
        guard let part = pipelined.popFirst() else { return nil }
        return process(part, now: now)
    }

    /// What an idle connection with nothing queued does next: answer a held-back parse error,
    /// or read on.
    enum OnIdle {
        /// Nothing.
        case none
        /// Ask the channel for more bytes (reading was held back).
        case read
        /// Answer the held-back parse error, then close.
        case answerMalformed(HTTPRequestHead, GatewayError)
    }

    /// Call when the queue is served (``nextQueuedPart(now:)`` returned nil).
    mutating func idle() -> OnIdle {
        guard case .idle = state, pipelined.isEmpty else { return .none }
        if let error = malformedRequest {
            malformedRequest = nil
            state = .closing
            return .answerMalformed(Self.unparsedRequest, error)
        }
        if case .read = takeRead() { return .read }
        return .none
    }

    /// The head used to answer bytes that never parsed into a request.
    static var unparsedRequest: HTTPRequestHead { HTTPRequestHead(version: .http1_1, method: .GET, uri: "/") }

    // MARK: Malformed requests

    /// The HTTP parser refused the bytes after the requests so far.
    mutating func parseFailed(_ error: GatewayError) -> OnPart {
        switch state {
        case .collecting(let head, _, _, _), .discarding(let head, _):
            state = .closing
            return .respond(head, .error(error), close: true)
        case .idle where pipelined.isEmpty:
            state = .closing
            return .respond(Self.unparsedRequest, .error(error), close: true)
        case .idle, .calling, .answering, .holding:
            // Requests before it are answered first (see idle()).
            malformedRequest = error
            return .none
        case .streaming:
            // The streamed body is cut: close; the call is cancelled when the channel closes
            // (``closed()``), so the state keeps it.
            return .close
        case .draining, .closing:
            // The parser cannot find where a next request would start.
            state = .closing
            return .close
        }
    }

    // MARK: Read backpressure

    /// The channel wants to read: whether to read now (else it is held until resumed).
    mutating func readRequested() -> Bool {
        if readingPaused || !pipelined.isEmpty {
            readPending = true
            return false
        }
        return true
    }

    /// The running call cannot take more request bytes now.
    mutating func pauseReading() {
        readingPaused = true
    }

    /// The running call can take request bytes again: whether to read now.
    mutating func resumeReading() -> Bool {
        guard readingPaused else { return false }
        readingPaused = false
        guard readPending, pipelined.isEmpty else { return false }
        readPending = false
        return true
    }

    private mutating func takeRead() -> OnResponseFinished {
        guard readPending, !readingPaused, pipelined.isEmpty else { return .none }
        readPending = false
        return .read
    }

    // MARK: Connection end

    /// The exchange of the call that is running, if any.
    var runningExchange: Exchange? {
        switch state {
        case .streaming(_, let exchange), .calling(_, let exchange): exchange
        default: nil
        }
    }

    /// The channel closed: the exchange to cancel, if a call was running.
    mutating func closed() -> Exchange? {
        defer { state = .closing }
        return runningExchange
    }
}

/// The body of a request before its first byte (a copy of it is a retain, not an allocation).
private let emptyBody = ByteBuffer()
