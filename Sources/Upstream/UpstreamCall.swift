public import NIOCore

/// One gRPC call (one HTTP/2 stream) made by ``UpstreamClient``.
///
/// Not `Sendable`: use it only on the client's event loop. The call keeps its delegate alive until
/// `didFinishWith` has been delivered.
///
/// The protocol state lives in an ``UpstreamCallStateMachine``; this class feeds it events and
/// carries out its actions: nghttp2 calls on the connection, delegate callbacks, ticks.
public final class UpstreamCall {
    let path: String
    /// Validated metadata: lower-case names, no reserved or connection-specific fields.
    let metadata: [(name: String, value: String)]
    /// When the call times out (its `timeout` after it was made, by the event loop's clock), if
    /// it has a deadline. The client holding the call enforces it (see
    /// `UpstreamClient+Deadlines.swift`).
    public let deadline: NIODeadline?
    /// The client's event loop: every method must be called on it, every callback runs on it.
    public let eventLoop: any EventLoop
    /// The call's protocol state.
    private(set) var machine: UpstreamCallStateMachine
    /// The connection of the call's stream while the machine is `active`.
    private var connection: UpstreamConnection?
    /// Connects that failed while this call waited for them (it never reached a backend).
    public internal(set) var failedConnectAttempts = 0
    /// The client the call was made on or last queued on (for a transparent retry of a refused
    /// stream).
    weak var client: UpstreamClient?
    /// The endpoint the call was last queued on (nil once its client is gone).
    public var endpoint: UpstreamTarget? { self.client?.target }
    /// The ``EndpointObserver/endpointLabel`` of that endpoint, when it has an observer.
    public var endpointLabel: String? { self.client?.observer?.endpointLabel }
    /// Whether a failed connect may hand this call to the client's ``UpstreamClient/router``
    /// (false for calls that must reach this endpoint, such as health checks).
    public var isReroutable = true
    /// Runs once when the call finishes, before the delegate hears of it (see
    /// ``UpstreamClient/makeCall(path:metadata:timeout:onFinish:)``).
    var onFinish: (() -> Void)?
    private var delegate: (any UpstreamCallDelegate)?
    /// Re-entrancy guard: a delegate may call resumeReceiving() from inside didReceiveMessage.
    private var isDelivering = false

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
        self.path = path
        self.metadata = metadata
        self.deadline = timeout.map { eventLoop.now + $0 }
        self.eventLoop = eventLoop
        self.machine = UpstreamCallStateMachine(
            timeout: timeout,
            allocator: allocator,
            maxMessageLength: maxMessageLength,
            sendBufferWatermarks: sendBufferWatermarks,
            compressesRequests: compressesRequests,
            maxMetadataBytes: maxMetadataBytes
        )
    }

    /// Whether request messages are sent gzip-compressed (`grpc-encoding: gzip`).
    var compressesRequests: Bool { self.machine.compressesRequests }

    /// Whether `didFinishWith` has been delivered or scheduled.
    public var isFinished: Bool { self.machine.isFinished }

    /// Whether the call is started and waits for a connection or a stream.
    var isWaiting: Bool { self.machine.isWaiting }

    /// Request bytes accepted by ``send(message:)`` (5-byte prefixes included) that nghttp2 has
    /// not yet taken into DATA frames. 0 once the call is over.
    public var bufferedSendBytes: Int { self.machine.bufferedSendBytes }

    /// Whether ``bufferedSendBytes`` is at or above
    /// ``UpstreamConfiguration/sendBufferHighWatermark``. Advisory: ``send(message:)`` still
    /// accepts everything, but a caller streaming a large body should stop feeding until
    /// ``UpstreamCallDelegate/upstreamCallSendBufferDrained(_:)``.
    public var isSendBufferFull: Bool { self.machine.isSendBufferFull }

    // MARK: Public API

    /// Starts a call made by ``UpstreamClient/makeCall(path:metadata:timeout:onFinish:)``: queues
    /// it on its client, which sends it as soon as a connection has a free stream.
    ///
    /// Never calls the delegate before returning: failures (no connection, client closed) arrive
    /// as `didFinishWith(UNAVAILABLE)` on a later tick. A call cancelled before it started
    /// delivers `didFinishWith(CANCELLED)` on a later tick. Only the first start counts. Must be
    /// called on ``eventLoop``.
    /// - Parameter delegate: Receives the response; kept alive until the call finishes.
    public func start(delegate: any UpstreamCallDelegate) {
        self.eventLoop.preconditionInEventLoop()
        guard self.begin(delegate: delegate) else { return }
        guard let client = self.client else {
            self.finish(
                GRPCStatus(code: .unavailable, message: "the upstream client of this call is gone"),
                deferred: true
            )
            return
        }
        client.enqueue(self)
    }

    /// Gives the call its delegate and makes it wait for a stream: ``start(delegate:)`` before
    /// queueing it.
    /// - Returns: Whether the call now waits (false when it was started before, or cancelled
    ///   before it started).
    func begin(delegate: any UpstreamCallDelegate) -> Bool {
        switch self.machine.start() {
        case .enqueue:
            self.delegate = delegate
            return true
        case .deliverCancellation:
            self.eventLoop.assumeIsolated().execute { [self] in
                delegate.upstreamCall(
                    self,
                    didFinishWith: GRPCStatus(code: .cancelled, message: "call cancelled"),
                    trailers: []
                )
            }
            return false
        case .ignore:
            return false
        }
    }

    /// Sends one request message (adds the 5-byte gRPC prefix). Never drops a message: check
    /// ``isSendBufferFull`` to apply backpressure. Ignored after ``finish()`` or once the call is
    /// over. Messages sent before ``start(delegate:)`` go out once the call has a stream. Must be
    /// called on the client's event loop.
    /// - Parameter message: The serialized message. Messages above 8 KiB, and messages written
    ///   into a ``NIOCore/ByteBufferAllocator/grpcMessageBuffer(capacity:)`` (framed in place), are
    ///   kept, not copied, until nghttp2 has sent them.
    public func send(message: consuming ByteBuffer) {
        self.eventLoop.preconditionInEventLoop()
        self.perform(self.machine.send(message))
    }

    /// Half-closes the request (END_STREAM after the messages sent so far). Idempotent.
    public func finish() {
        self.eventLoop.preconditionInEventLoop()
        self.perform(self.machine.halfClose())
    }

    /// Cancels the call: RST_STREAM(CANCEL) if it reached the backend, and `didFinishWith` with
    /// `CANCELLED` on the next event-loop tick. No effect once the call is over.
    public func cancel() {
        self.eventLoop.preconditionInEventLoop()
        guard let finish = self.machine.cancel() else { return }
        self.perform(finish, deferred: true)
    }

    /// Stops delivering messages. Received bytes stay buffered and stop being acknowledged, so the
    /// backend stops sending once this stream's window (``UpstreamConfiguration/streamWindowSize``)
    /// is used up; other calls on the connection are not affected.
    public func pauseReceiving() {
        self.eventLoop.preconditionInEventLoop()
        self.machine.pause()
    }

    /// Resumes delivery after ``pauseReceiving()``: buffered messages (and a buffered finish) are
    /// delivered on the next event-loop tick, and the stream's window is reopened.
    public func resumeReceiving() {
        self.eventLoop.preconditionInEventLoop()
        guard case .scheduleDelivery = self.machine.resume() else { return }
        self.eventLoop.assumeIsolated().execute { [self] in
            switch self.machine.resumedDelivery() {
            case .stillPaused:
                return
            case .deliver:
                break
            case .reopenWindowAndDeliver(let streamID, let count):
                self.connection?.consume(streamID: streamID, count)
            }
            self.deliverMessages()
        }
    }

    // MARK: Events from the client and the connection

    /// The deadline has passed: resets the stream and finishes with `DEADLINE_EXCEEDED`.
    func expire() {
        guard let finish = self.machine.deadlineExpired() else { return }
        self.perform(finish, deferred: false)
    }

    /// `connection` submitted the call's HEADERS as `streamID`.
    func streamStarted(on connection: UpstreamConnection, streamID: Int32) {
        self.machine.streamStarted(streamID: streamID)
        self.connection = connection
    }

    /// nghttp2 asks for request body bytes (from inside `mem_send`: no delegate calls here).
    func readBody(into destination: UnsafeMutableRawBufferPointer) -> NGHTTP2BodyRead {
        let action = self.machine.readBody(into: destination)
        if action.sendBufferDrained {
            // Never from inside mem_send: the delegate may send, which resumes the body.
            self.eventLoop.assumeIsolated().execute { [self] in
                guard !self.isFinished else { return }
                self.delegate?.upstreamCallSendBufferDrained(self)
            }
        }
        return action.read
    }

    /// A response header block arrived (called by the connection after nghttp2 returned).
    /// - Parameters:
    ///   - fields: The block's fields, pseudo-headers apart.
    ///   - status: Its `:status`; nil for trailers.
    ///   - endStream: Whether the block ends the stream.
    func receiveHeaders(_ fields: [(name: String, value: String)], status: Int?, endStream: Bool) {
        switch self.machine.receiveHeaders(fields, status: status, endStream: endStream) {
        case .none:
            break
        case .deliverHeaders(let headers):
            self.delegate?.upstreamCall(self, didReceiveHeaders: headers)
        case .closeStreamAndDeliver(let streamID, let reset):
            if let streamID { self.connection?.releaseStream(streamID: streamID, reset: reset) }
            self.connection = nil
            self.deliverMessages()
        case .finish(let finish):
            self.perform(finish, deferred: false)
        }
    }

    /// Takes DATA payload. Returns the byte count whose stream window may be reopened now.
    func receiveData(_ bytes: ByteBuffer) -> Int {
        guard case .deliver = self.machine.receiveData(bytes) else { return bytes.readableBytes }
        self.deliverMessages()
        return self.machine.windowToReopen(afterDelivering: bytes.readableBytes)
    }

    /// The stream closed with `errorCode` (the connection has already forgotten it).
    func streamClosed(errorCode: UInt32) {
        switch self.machine.streamClosed(errorCode: errorCode, canRequeue: self.client != nil) {
        case .none:
            break
        case .requeue:
            self.requeue()
        case .finish(let finish):
            self.perform(finish, deferred: false)
        }
    }

    /// Queues the call again on its client when the backend provably did not process it (its
    /// stream was refused or never sent) and nothing of a response arrived: every request message
    /// is sent again on a new stream, once. The connection has already forgotten the stream.
    /// - Returns: whether the call was queued again.
    func retryUnprocessed() -> Bool {
        guard self.machine.requeueIfUnprocessed(canRequeue: self.client != nil) else { return false }
        self.requeue()
        return true
    }

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
        guard let finish = self.machine.finish(status, trailers: trailers, reset: reset) else { return }
        self.perform(finish, deferred: deferred)
    }

    // MARK: Carrying out actions

    private func perform(_ action: UpstreamCallStateMachine.OnOutboundChange) {
        if case .resumeBody(let streamID) = action { self.connection?.resumeBody(streamID: streamID) }
    }

    private func perform(_ finish: UpstreamCallStateMachine.Finish, deferred: Bool) {
        if let streamID = finish.streamID { self.connection?.releaseStream(streamID: streamID, reset: finish.reset) }
        self.connection = nil
        self.onFinish.take()?()
        guard let delegate = self.delegate.take() else { return }
        if deferred {
            self.eventLoop.assumeIsolated().execute { [self] in
                delegate.upstreamCall(self, didFinishWith: finish.status, trailers: finish.trailers)
            }
        } else {
            delegate.upstreamCall(self, didFinishWith: finish.status, trailers: finish.trailers)
        }
    }

    private func requeue() {
        self.connection = nil
        self.client?.observer?.callRetried(.unprocessed)
        self.client?.adopt(self)
    }

    private func deliverMessages() {
        guard !self.isDelivering else { return }
        self.isDelivering = true
        defer { self.isDelivering = false }
        while true {
            switch self.machine.nextDelivery() {
            case .message(let message):
                self.delegate?.upstreamCall(self, didReceiveMessage: message)
            case .finish(let finish):
                self.perform(finish, deferred: false)
                return
            case .stop:
                return
            }
        }
    }
}

@available(*, unavailable)
extension UpstreamCall: Sendable {}

/// RST_STREAM/GOAWAY code CANCEL (0x8).
let http2CancelCode: UInt32 = 0x8
/// RST_STREAM code REFUSED_STREAM (0x7): the peer did not process the stream.
let http2RefusedStreamCode: UInt32 = 0x7
