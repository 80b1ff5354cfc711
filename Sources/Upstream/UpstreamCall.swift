public import NIOCore

/// One gRPC call (one HTTP/2 stream) started by ``UpstreamClient``.
///
/// Not `Sendable`: use it only on the client's event loop. The call keeps its delegate alive until
/// `didFinishWith` has been delivered.
public final class UpstreamCall {
    enum State {
        /// Waiting in the client for a connection or a free stream slot.
        case waiting
        /// HEADERS submitted on `connection` as `streamID`.
        case active(UpstreamConnection, streamID: Int32)
        /// The backend sent its status; the stream is released and buffered messages (held back by
        /// a pause) are still to be delivered before `didFinishWith`.
        case closing
        /// `didFinishWith` delivered or scheduled; every later event is ignored.
        case finished
    }

    let path: String
    /// Validated metadata: lower-case names, no reserved or connection-specific fields.
    let metadata: [(name: String, value: String)]
    /// When the call times out (from its `timeout`), if it has a deadline. The client holding the
    /// call enforces it (see `UpstreamClient+Deadlines.swift`).
    public let deadline: NIODeadline?
    /// The timeout the deadline came from, for the status message.
    let timeout: TimeAmount?
    /// The client's event loop: every method must be called on it, every callback runs on it.
    public let eventLoop: any EventLoop
    var state = State.waiting
    /// Connects that failed while this call waited for them (it never reached a backend).
    public internal(set) var failedConnectAttempts = 0
    /// The client the call was last queued on (for a transparent retry of a refused stream).
    weak var client: UpstreamClient?
    /// Request messages kept for one transparent retry of a stream the backend refused unprocessed
    /// (`REFUSED_STREAM`, or above a GOAWAY's last stream id), while they fit in
    /// ``replayLimit``; nil once they do not, or once the retry is used.
    private var replayMessages: [ByteBuffer]? = []
    private var replayBytes = 0
    /// The most request bytes kept for a transparent retry.
    static let replayLimit = 64 << 10

    /// Whether a failed connect may hand this call to the client's ``UpstreamClient/router``
    /// (false for calls that must reach this endpoint, such as health checks).
    public var isReroutable = true
    /// Runs once when the call finishes, before the delegate hears of it (see
    /// ``UpstreamClient/startCall(path:metadata:timeout:delegate:onFinish:)``).
    var onFinish: (() -> Void)?
    private var delegate: (any UpstreamCallDelegate)?

    // Outbound: framed messages not yet taken by nghttp2.
    private var outbound: GRPCSendBuffer
    private let sendHighWatermark: Int
    private let sendLowWatermark: Int
    /// Set when the buffer reaches the high watermark; cleared (and the delegate told) once it
    /// drops below the low one.
    private var sendBufferWasFull = false
    private var outboundClosed = false
    private var endOfStreamSent = false
    private var bodyDeferred = false

    // Inbound.
    private var deframer: GRPCMessageDeframer
    private var receivedHeaders = false
    /// The response's `grpc-encoding` (nil: identity).
    private var responseEncoding: String?
    /// Whether request messages are sent gzip-compressed (`grpc-encoding: gzip`).
    let compressesRequests: Bool
    /// The largest response header or trailer block accepted (RFC 9113 size).
    let maxMetadataBytes: Int
    private var isPaused = false
    private var unconsumedBytes = 0
    private var isDelivering = false
    private var finishAfterMessages: (status: GRPCStatus, trailers: [(name: String, value: String)])?

    init(
        path: String,
        metadata: [(name: String, value: String)],
        timeout: TimeAmount?,
        eventLoop: any EventLoop,
        allocator: ByteBufferAllocator,
        maxMessageLength: Int,
        sendBufferWatermarks: (high: Int, low: Int),
        compressesRequests: Bool = false,
        maxMetadataBytes: Int = 16 << 10
    ) {
        self.compressesRequests = compressesRequests
        self.maxMetadataBytes = maxMetadataBytes
        self.path = path
        self.metadata = metadata
        self.deadline = timeout.map { .now() + $0 }
        self.timeout = timeout
        self.eventLoop = eventLoop
        self.outbound = GRPCSendBuffer(allocator: allocator)
        self.sendHighWatermark = max(1, sendBufferWatermarks.high)
        self.sendLowWatermark = min(max(1, sendBufferWatermarks.low), self.sendHighWatermark)
        self.deframer = GRPCMessageDeframer(maxMessageLength: maxMessageLength)
    }

    /// Queues the call on the client that made it; `delegate` then hears of its response. Call it
    /// once, on the client's event loop; it never calls the delegate before returning.
    /// - Parameter delegate: Receives the response; kept alive until the call finishes.
    public func start(delegate: any UpstreamCallDelegate) {
        self.eventLoop.preconditionInEventLoop()
        precondition(self.delegate == nil, "an upstream call is started once")
        self.delegate = delegate
        guard let client = self.client else {
            self.finish(GRPCStatus(code: .unavailable, message: "upstream client is gone"), deferred: true)
            return
        }
        client.start(self)
    }

    /// The deadline has passed: resets the stream and finishes with `DEADLINE_EXCEEDED`.
    func expire() {
        self.finish(
            GRPCStatus(code: .deadlineExceeded, message: "deadline of \(self.timeout ?? .zero) exceeded"),
            reset: http2CancelCode
        )
    }

    /// Whether `didFinishWith` has been delivered or scheduled.
    public var isFinished: Bool {
        if case .finished = self.state { return true }
        return false
    }

    /// Request bytes accepted by ``send(message:)`` (5-byte prefixes included) that nghttp2 has
    /// not yet taken into DATA frames. 0 once the call is over.
    public var bufferedSendBytes: Int { self.outbound.count }

    /// Whether ``bufferedSendBytes`` is at or above
    /// ``UpstreamConfiguration/sendBufferHighWatermark``. Advisory: ``send(message:)`` still
    /// accepts everything, but a caller streaming a large body should stop feeding until
    /// ``UpstreamCallDelegate/upstreamCallSendBufferDrained(_:)``.
    public var isSendBufferFull: Bool { self.outbound.count >= self.sendHighWatermark }

    // MARK: Public API

    /// Sends one request message (adds the 5-byte gRPC prefix). Never drops a message: check
    /// ``isSendBufferFull`` to apply backpressure. Ignored after ``finish()`` or once the call is
    /// over. Must be called on the client's event loop.
    /// - Parameter message: The serialized message. Messages above 8 KiB are kept, not copied,
    ///   until nghttp2 has sent them.
    public func send(message: ByteBuffer) {
        self.eventLoop.preconditionInEventLoop()
        guard !self.outboundClosed, !self.isFinished else { return }
        if self.replayMessages != nil {
            self.replayBytes += message.readableBytes
            if self.replayBytes <= Self.replayLimit { self.replayMessages?.append(message) } else { self.replayMessages = nil }
        }
        self.appendOutbound(message)
        if self.outbound.count >= self.sendHighWatermark { self.sendBufferWasFull = true }
        self.bodyChanged()
    }

    /// Half-closes the request (END_STREAM after the messages sent so far). Idempotent.
    public func finish() {
        self.eventLoop.preconditionInEventLoop()
        guard !self.outboundClosed, !self.isFinished else { return }
        self.outboundClosed = true
        self.bodyChanged()
    }

    /// Cancels the call: RST_STREAM(CANCEL) if it reached the backend, and `didFinishWith` with
    /// `CANCELLED` on the next event-loop tick. No effect once the call is over.
    public func cancel() {
        self.eventLoop.preconditionInEventLoop()
        self.finish(GRPCStatus(code: .cancelled, message: "call cancelled"), reset: http2CancelCode, deferred: true)
    }

    /// Stops delivering messages. Received bytes stay buffered and stop being acknowledged, so the
    /// backend stops sending once this stream's window (``UpstreamConfiguration/streamWindowSize``)
    /// is used up; other calls on the connection are not affected.
    public func pauseReceiving() {
        self.eventLoop.preconditionInEventLoop()
        self.isPaused = true
    }

    /// Resumes delivery after ``pauseReceiving()``: buffered messages (and a buffered finish) are
    /// delivered on the next event-loop tick, and the stream's window is reopened.
    public func resumeReceiving() {
        self.eventLoop.preconditionInEventLoop()
        guard self.isPaused else { return }
        self.isPaused = false
        self.eventLoop.assumeIsolated().execute { [self] in
            guard !self.isPaused else { return }
            if case .active(let connection, let streamID) = self.state, self.unconsumedBytes > 0 {
                connection.consume(streamID: streamID, self.unconsumedBytes)
                self.unconsumedBytes = 0
            }
            self.deliverMessages()
        }
    }

    private func bodyChanged() {
        guard case .active(let connection, let streamID) = self.state, self.bodyDeferred else { return }
        self.bodyDeferred = false
        connection.resumeBody(streamID: streamID)
    }

    // MARK: Outbound body (called from inside mem_send: no delegate calls here)

    func readBody(into destination: UnsafeMutableRawBufferPointer) -> NGHTTP2BodyRead {
        let count = self.outbound.read(into: destination)
        if self.sendBufferWasFull && self.outbound.count < self.sendLowWatermark {
            self.sendBufferWasFull = false
            // Never from inside mem_send: the delegate may send, which resumes the body.
            self.eventLoop.assumeIsolated().execute { [self] in
                guard !self.isFinished else { return }
                self.delegate?.upstreamCallSendBufferDrained(self)
            }
        }
        if self.outbound.count == 0 && self.outboundClosed {
            self.endOfStreamSent = true
            return .bytes(count: count, endOfStream: true)
        }
        if count > 0 { return .bytes(count: count, endOfStream: false) }
        self.bodyDeferred = true
        return .deferred
    }

    // MARK: Inbound events (called by the connection after nghttp2 returned)

    func receiveHeaders(_ fields: [(name: String, value: String)], endStream: Bool) {
        guard !self.isFinished else { return }
        // RFC 9113 §6.5.2 size: name + value + 32 per field.
        let metadataBytes = fields.reduce(0) { $0 + $1.name.utf8.count + $1.value.utf8.count + 32 }
        if metadataBytes > self.maxMetadataBytes {
            let status = GRPCStatus(
                code: .resourceExhausted,
                message: "backend \(self.receivedHeaders ? "trailers" : "headers") of \(metadataBytes) bytes exceed the limit of \(self.maxMetadataBytes)"
            )
            self.finish(status, reset: http2CancelCode)
            return
        }
        if self.receivedHeaders {
            // Trailers. Messages still buffered behind a pause are delivered first.
            self.finishFromServer(GRPCStatus(trailers: fields), trailers: fields)
            return
        }
        var httpStatus = 0
        var contentType: String?
        for field in fields {
            if field.name == ":status" {
                httpStatus = Int(field.value) ?? 0
            } else if field.name == "content-type" {
                contentType = field.value
            } else if field.name == "grpc-encoding" {
                self.responseEncoding = field.value == "identity" ? nil : field.value.lowercased()
            }
        }
        if (100..<200).contains(httpStatus) && !endStream { return }  // informational
        if httpStatus != 200 {
            let status = GRPCStatus(code: .init(httpStatus: httpStatus), message: "backend answered HTTP \(httpStatus)")
            self.finish(status, trailers: Self.withoutPseudoFields(fields), reset: http2CancelCode)
            return
        }
        if let contentType, !Self.isGRPCContentType(contentType) {
            let status = GRPCStatus(code: .unknown, message: "backend answered with content-type '\(contentType)'")
            self.finish(status, reset: http2CancelCode)
            return
        }
        if endStream {
            // Trailers-only response.
            let trailers = Self.withoutPseudoFields(fields)
            self.finishFromServer(GRPCStatus(trailers: trailers), trailers: trailers)
            return
        }
        if contentType == nil {
            self.finish(GRPCStatus(code: .unknown, message: "backend response has no content-type"), reset: http2CancelCode)
            return
        }
        self.receivedHeaders = true
        self.delegate?.upstreamCall(self, didReceiveHeaders: Self.withoutPseudoFields(fields))
    }

    /// Takes DATA payload. Returns the byte count whose stream window may be reopened now.
    func receiveData(_ bytes: ByteBuffer) -> Int {
        guard !self.isFinished, self.finishAfterMessages == nil else { return bytes.readableBytes }
        self.deframer.append(bytes)
        self.deliverMessages()
        // Decided after delivery: a delegate that paused inside didReceiveMessage holds back the
        // window for this whole chunk, even the part already delivered (resume returns it).
        guard self.isPaused else { return bytes.readableBytes }
        self.unconsumedBytes += bytes.readableBytes
        return 0
    }

    private func appendOutbound(_ message: ByteBuffer) {
        if self.compressesRequests {
            self.outbound.append(message: Gzip.compress(message), compressed: true)
        } else {
            self.outbound.append(message: message)
        }
    }

    /// Queues the call again on its client when the backend provably did not process it (its
    /// stream was refused or never sent) and nothing of a response arrived: every request message
    /// is sent again on a new stream, once. The connection has already forgotten the stream.
    /// - Returns: whether the call was queued again.
    func retryUnprocessed() -> Bool {
        guard !self.isFinished, !self.receivedHeaders, let messages = self.replayMessages, let client = self.client else { return false }
        self.replayMessages = nil
        self.state = .waiting
        self.outbound.removeAll()
        self.endOfStreamSent = false
        self.bodyDeferred = false
        for message in messages { self.appendOutbound(message) }
        client.adopt(self)
        return true
    }

    func streamClosed(errorCode: UInt32) {
        guard !self.isFinished, self.finishAfterMessages == nil else { return }
        if errorCode == http2RefusedStreamCode, self.retryUnprocessed() { return }
        let status: GRPCStatus
        if errorCode != 0 {
            status = GRPCStatus(
                code: .init(http2ErrorCode: errorCode),
                message: "stream reset by the backend (HTTP/2 error code \(errorCode))"
            )
        } else {
            status = GRPCStatus(code: .internalError, message: "backend closed the stream without sending trailers")
        }
        self.finish(status)
    }

    private func deliverMessages() {
        // Re-entrancy guard: a delegate may call resumeReceiving() from inside didReceiveMessage.
        guard !self.isDelivering else { return }
        self.isDelivering = true
        defer { self.isDelivering = false }
        while !self.isPaused, !self.isFinished {
            switch self.deframer.next() {
            case .message(let message):
                self.delegate?.upstreamCall(self, didReceiveMessage: message)
            case .needMoreData:
                if var pending = self.finishAfterMessages {
                    if pending.status.code == .ok && self.deframer.hasBufferedBytes {
                        pending.status = GRPCStatus(code: .internalError, message: "response ended inside a message")
                    }
                    self.finish(pending.status, trailers: pending.trailers)
                }
                return
            case .compressed(let compressed):
                guard self.responseEncoding == "gzip" else {
                    let encoding = self.responseEncoding.map { "grpc-encoding \($0)" } ?? "no grpc-encoding"
                    self.finish(
                        GRPCStatus(code: .internalError, message: "backend sent a compressed message with \(encoding); Portico reads gzip"),
                        reset: http2CancelCode
                    )
                    return
                }
                do {
                    let message = try Gzip.decompress(compressed, limit: self.deframer.maxMessageLength)
                    self.delegate?.upstreamCall(self, didReceiveMessage: message)
                } catch {
                    self.finish(
                        GRPCStatus(code: .internalError, message: "cannot inflate a gzip response message: \(error)"),
                        reset: http2CancelCode
                    )
                }
            case .tooLarge(let length):
                self.finish(
                    GRPCStatus(
                        code: .resourceExhausted,
                        message: "response message of \(length) bytes exceeds the limit of \(self.deframer.maxMessageLength)"
                    ),
                    reset: http2CancelCode
                )
            }
        }
    }

    private func finishFromServer(_ status: GRPCStatus, trailers: [(name: String, value: String)]) {
        // The backend is done; if our side is still open, reset so the stream stops counting.
        if case .active(let connection, let streamID) = self.state {
            connection.releaseStream(streamID: streamID, reset: self.endOfStreamSent ? nil : http2CancelCode)
        }
        self.state = .closing
        self.finishAfterMessages = (status, trailers)
        self.deliverMessages()
    }

    // MARK: Finishing

    /// Ends the call with `status` unless it already ended.
    /// - Parameters:
    ///   - status: The final status.
    ///   - trailers: The server's trailers, if any.
    ///   - reset: When set and the stream is open, RST_STREAM with this code.
    ///   - deferred: Deliver `didFinishWith` on the next tick (for calls made by the user).
    func finish(
        _ status: GRPCStatus,
        trailers: [(name: String, value: String)] = [],
        reset: UInt32? = nil,
        deferred: Bool = false
    ) {
        guard !self.isFinished else { return }
        if case .active(let connection, let streamID) = self.state {
            connection.releaseStream(streamID: streamID, reset: reset)
        }
        self.state = .finished
        self.onFinish.take()?()
        self.finishAfterMessages = nil
        self.outbound.removeAll()
        self.sendBufferWasFull = false
        guard let delegate = self.delegate.take() else { return }
        if deferred {
            self.eventLoop.assumeIsolated().execute { [self] in
                delegate.upstreamCall(self, didFinishWith: status, trailers: trailers)
            }
        } else {
            delegate.upstreamCall(self, didFinishWith: status, trailers: trailers)
        }
    }

    // MARK: Helpers

    private static func withoutPseudoFields(_ fields: [(name: String, value: String)]) -> [(name: String, value: String)] {
        fields.filter { !$0.name.hasPrefix(":") }
    }

    /// `application/grpc` optionally followed by `+proto`, `+json`, ... or `;params`.
    static func isGRPCContentType(_ value: String) -> Bool {
        let prefix = "application/grpc"
        guard value.utf8.count >= prefix.utf8.count, value.lowercased().hasPrefix(prefix) else { return false }
        let rest = value.utf8.dropFirst(prefix.utf8.count)
        guard let next = rest.first else { return true }
        return next == UInt8(ascii: "+") || next == UInt8(ascii: ";")
    }
}

@available(*, unavailable)
extension UpstreamCall: Sendable {}

/// RST_STREAM/GOAWAY code CANCEL (0x8).
let http2CancelCode: UInt32 = 0x8
/// RST_STREAM code REFUSED_STREAM (0x7): the peer did not process the stream.
let http2RefusedStreamCode: UInt32 = 0x7
