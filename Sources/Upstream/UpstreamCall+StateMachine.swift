import NIOCore

/// The protocol state of one ``UpstreamCall``, without I/O: no channel, no delegate, no timers.
///
/// ``UpstreamCall`` feeds it events (the user's sends, nghttp2's reads and frames, expiry) and
/// carries out the action each event returns: nghttp2 calls on the connection, delegate callbacks,
/// ticks to schedule. The request body (framed, compressed if configured), the response deframer
/// and the messages kept for a transparent retry live here too, so a test can step a call through
/// every state with plain values.
///
/// ```
/// idle ──start──▶ waiting ──streamStarted──▶ active ──trailers──▶ closing ──(messages out)──▶ finished
///                    ▲                          │
///                    └──── requeue (refused) ───┘          any state ──finish/cancel/expire──▶ finished
/// ```
struct UpstreamCallStateMachine {
    /// Where the call is in its life.
    enum State {
        /// Made by ``UpstreamClient/makeCall(path:metadata:timeout:onFinish:)``, not started yet.
        case idle
        /// Started; waiting in a client for a connection or a free stream slot.
        case waiting
        /// HEADERS submitted as `streamID`.
        case active(streamID: Int32)
        /// The backend sent its status and the stream is released; messages held back by a pause
        /// are still to be delivered before the finish.
        case closing(GRPCStatus, trailers: [(name: String, value: String)])
        /// The finish is delivered or scheduled; every later event is ignored.
        case finished
    }

    /// How the call ends: what the delegate hears and what happens to the stream.
    struct Finish {
        /// The final status.
        var status: GRPCStatus
        /// The backend's trailers; empty when the status was made here.
        var trailers: [(name: String, value: String)]
        /// The stream to release on its connection; nil when the call has no open stream.
        var streamID: Int32?
        /// The RST_STREAM code for `streamID`; nil releases it without a reset.
        var reset: UInt32?
    }

    /// The answer to a change of the request body (``send(_:)``, ``halfClose()``).
    enum OnOutboundChange: Equatable {
        /// Nothing for nghttp2 to do now.
        case none
        /// nghttp2 deferred the body of `streamID`: tell it that there is more.
        case resumeBody(streamID: Int32)
    }

    /// The answer to nghttp2 asking for request body bytes.
    struct OnBodyRead {
        /// What to tell nghttp2.
        var read: NGHTTP2BodyRead
        /// The send buffer dropped below the low watermark after having been full: tell the
        /// delegate, on a later tick (never from inside nghttp2).
        var sendBufferDrained: Bool
    }

    /// The answer to ``start()``.
    enum OnStart: Equatable {
        /// Queue the call on its client.
        case enqueue
        /// The call was cancelled before it started: its delegate hears `CANCELLED` on a later tick.
        case deliverCancellation
        /// Started before: nothing to do.
        case ignore
    }

    /// The answer to ``resume()``.
    enum OnResume: Equatable {
        /// The call was not paused.
        case none
        /// Deliver buffered messages on the next tick (see ``resumedDelivery()``).
        case scheduleDelivery
    }

    /// The answer to ``resumedDelivery()``, the tick after a resume.
    enum OnResumedDelivery: Equatable {
        /// Paused again meanwhile: nothing to do.
        case stillPaused
        /// Deliver buffered messages.
        case deliver
        /// Reopen `streamID`'s window by `count` bytes held back while paused, then deliver.
        case reopenWindowAndDeliver(streamID: Int32, count: Int)
    }

    /// The most request bytes kept for a transparent retry.
    static let replayLimit = 64 << 10

    // Some stored properties are internal, not private: the response side
    // (UpstreamCallStateMachine+Response.swift) steps them too.

    /// Where the call is.
    var state = State.idle
    /// Request bytes not yet taken by nghttp2 (framed, compressed when configured).
    private var outbound: GRPCSendBuffer
    /// Response bytes not yet delivered as messages.
    var deframer: GRPCMessageDeframer
    /// Request messages kept for one transparent retry of a stream the backend refused
    /// unprocessed, while they fit in ``replayLimit``; nil once they do not, or once the retry
    /// is used.
    private var replay: ReplayMessages? = ReplayMessages()
    /// Set when the send buffer reaches the high watermark; cleared (and the delegate told) once
    /// it drops below the low one.
    private var sendBufferWasFull = false
    /// Whether ``start()`` has run (a cancelled idle call is finished but not started).
    private var isStarted = false
    /// The user half-closed: END_STREAM goes out after the buffered bytes.
    private(set) var outboundClosed = false
    /// nghttp2 took the last body byte with END_STREAM.
    var endOfStreamSent = false
    /// nghttp2 was told there is no body for now; it must be told when there is.
    private var bodyDeferred = false
    /// The response headers arrived: the next header block is the trailers.
    var receivedHeaders = false
    /// The response's `grpc-encoding` (nil: identity).
    var responseEncoding: String?
    /// The user paused delivery (``pause()``).
    private(set) var isPaused = false
    /// Received bytes whose stream window is held back while paused.
    var unconsumedBytes = 0

    private let sendHighWatermark: Int
    private let sendLowWatermark: Int
    /// Whether request messages are sent gzip-compressed.
    let compressesRequests: Bool
    /// The largest response header or trailer block accepted (RFC 9113 size).
    let maxMetadataBytes: Int
    /// The call's timeout, for the `DEADLINE_EXCEEDED` message.
    let timeout: TimeAmount?

    /// Creates the state of a call that is not started.
    /// - Parameters:
    ///   - timeout: The call's timeout, named in the status when it expires.
    ///   - allocator: Allocates the request body's buffers.
    ///   - maxMessageLength: The largest response message accepted.
    ///   - sendBufferWatermarks: When the send buffer counts as full, and when as drained again.
    ///   - compressesRequests: Send request messages gzip-compressed.
    ///   - maxMetadataBytes: The largest response header or trailer block accepted.
    init(
        timeout: TimeAmount?,
        allocator: ByteBufferAllocator,
        maxMessageLength: Int,
        sendBufferWatermarks: (high: Int, low: Int),
        compressesRequests: Bool,
        maxMetadataBytes: Int
    ) {
        self.timeout = timeout
        self.outbound = GRPCSendBuffer(allocator: allocator)
        self.deframer = GRPCMessageDeframer(maxMessageLength: maxMessageLength)
        self.sendHighWatermark = max(1, sendBufferWatermarks.high)
        self.sendLowWatermark = min(max(1, sendBufferWatermarks.low), self.sendHighWatermark)
        self.compressesRequests = compressesRequests
        self.maxMetadataBytes = maxMetadataBytes
    }

    // MARK: Queries

    /// Whether the finish is delivered or scheduled.
    var isFinished: Bool {
        if case .finished = self.state { return true }
        return false
    }

    /// Whether the call is started and waits for a stream.
    var isWaiting: Bool {
        if case .waiting = self.state { return true }
        return false
    }

    /// Request bytes (prefixes included) not yet taken by nghttp2.
    var bufferedSendBytes: Int { self.outbound.count }

    /// Whether ``bufferedSendBytes`` is at or above the high watermark.
    var isSendBufferFull: Bool { self.outbound.count >= self.sendHighWatermark }

    // MARK: Lifecycle

    /// The user starts the call (once).
    mutating func start() -> OnStart {
        guard !self.isStarted else { return .ignore }
        self.isStarted = true
        switch self.state {
        case .idle:
            self.state = .waiting
            return .enqueue
        case .finished:
            return .deliverCancellation
        case .waiting, .active, .closing:
            // Only an idle call can be anything but started; kept total for safety.
            return .ignore
        }
    }

    /// A connection submitted the call's HEADERS as `streamID`. Ignored unless waiting (a
    /// client only starts waiting calls).
    mutating func streamStarted(streamID: Int32) {
        guard case .waiting = self.state else { return }
        self.state = .active(streamID: streamID)
    }

    /// The stream was refused unprocessed or never sent: when nothing of a response arrived, the
    /// request still fits the replay budget and the call has a client to go back to
    /// (`canRequeue`), the call is waiting again with every request message buffered, once.
    /// - Returns: Whether the call is waiting again.
    mutating func requeueIfUnprocessed(canRequeue: Bool) -> Bool {
        guard canRequeue, !self.isFinished, !self.receivedHeaders, let replay = self.replay else { return false }
        self.replay = nil
        self.state = .waiting
        self.outbound.removeAll()
        self.endOfStreamSent = false
        self.bodyDeferred = false
        replay.forEachMessage { self.outbound.append($0) }
        return true
    }

    /// Ends the call with `status` unless it is already over.
    /// - Parameters:
    ///   - status: The final status.
    ///   - trailers: The backend's trailers, if any.
    ///   - reset: When the stream is open, reset it with this code (nil: no reset).
    /// - Returns: What to do, or nil when the call was already finished.
    mutating func finish(
        _ status: GRPCStatus,
        trailers: [(name: String, value: String)] = [],
        reset: UInt32? = nil
    ) -> Finish? {
        let streamID: Int32?
        switch self.state {
        case .finished:
            return nil
        case .active(let id):
            streamID = id
        case .idle, .waiting, .closing:
            streamID = nil
        }
        self.state = .finished
        self.outbound.removeAll()
        self.sendBufferWasFull = false
        return Finish(status: status, trailers: trailers, streamID: streamID, reset: streamID == nil ? nil : reset)
    }

    /// The user cancels: `CANCELLED`, resetting an open stream.
    mutating func cancel() -> Finish? {
        self.finish(GRPCStatus(code: .cancelled, message: "call cancelled"), reset: http2CancelCode)
    }

    /// The deadline passed: `DEADLINE_EXCEEDED`, resetting an open stream.
    mutating func deadlineExpired() -> Finish? {
        self.finish(
            GRPCStatus(code: .deadlineExceeded, message: "deadline of \(self.timeout ?? .zero) exceeded"),
            reset: http2CancelCode
        )
    }

    // MARK: Request body

    /// The user sends a message. Ignored after ``halfClose()`` or once the call is over.
    mutating func send(_ message: consuming ByteBuffer) -> OnOutboundChange {
        guard !self.outboundClosed, !self.isFinished else { return .none }
        let bytes = message.readableBytes
        let appended = self.appendOutbound(message)
        if self.replay != nil {
            if self.replay!.bytes + bytes <= Self.replayLimit {
                self.replay!.append(appended, bytes: bytes)
            } else {
                self.replay = nil
            }
        }
        if self.outbound.count >= self.sendHighWatermark { self.sendBufferWasFull = true }
        return self.outboundChanged()
    }

    /// The user half-closes: END_STREAM after the messages sent so far. Idempotent.
    mutating func halfClose() -> OnOutboundChange {
        guard !self.outboundClosed, !self.isFinished else { return .none }
        self.outboundClosed = true
        return self.outboundChanged()
    }

    /// nghttp2 asks for body bytes (from inside `mem_send`).
    /// - Parameter destination: Where to copy them.
    mutating func readBody(into destination: UnsafeMutableRawBufferPointer) -> OnBodyRead {
        let count = self.outbound.read(into: destination)
        var drained = false
        if self.sendBufferWasFull && self.outbound.count < self.sendLowWatermark {
            self.sendBufferWasFull = false
            drained = true
        }
        if self.outbound.count == 0 && self.outboundClosed {
            self.endOfStreamSent = true
            return OnBodyRead(read: .bytes(count: count, endOfStream: true), sendBufferDrained: drained)
        }
        if count > 0 { return OnBodyRead(read: .bytes(count: count, endOfStream: false), sendBufferDrained: drained) }
        self.bodyDeferred = true
        return OnBodyRead(read: .deferred, sendBufferDrained: drained)
    }

    private mutating func outboundChanged() -> OnOutboundChange {
        guard case .active(let streamID) = self.state, self.bodyDeferred else { return .none }
        self.bodyDeferred = false
        return .resumeBody(streamID: streamID)
    }

    private mutating func appendOutbound(_ message: consuming ByteBuffer) -> GRPCSendBuffer.Appended {
        if self.compressesRequests {
            return self.outbound.append(message: Gzip.compress(message), compressed: true)
        }
        return self.outbound.append(message: message)
    }

    // MARK: Receive flow control

    /// The user pauses delivery; received bytes stay buffered and unacknowledged.
    mutating func pause() {
        self.isPaused = true
    }

    /// The user resumes delivery.
    mutating func resume() -> OnResume {
        guard self.isPaused else { return .none }
        self.isPaused = false
        return .scheduleDelivery
    }

    /// The tick after ``resume()`` returned ``OnResume/scheduleDelivery``.
    mutating func resumedDelivery() -> OnResumedDelivery {
        guard !self.isPaused else { return .stillPaused }
        guard case .active(let streamID) = self.state, self.unconsumedBytes > 0 else { return .deliver }
        let count = self.unconsumedBytes
        self.unconsumedBytes = 0
        return .reopenWindowAndDeliver(streamID: streamID, count: count)
    }
}
