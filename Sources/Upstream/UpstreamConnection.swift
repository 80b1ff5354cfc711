import Logging
import NIOCore
import TextCoding

/// What a connection tells its ``UpstreamClient``.
protocol UpstreamConnectionOwner: AnyObject {
    /// The channel closed; every call on it has been finished.
    func connectionDidClose(_ connection: UpstreamConnection)
    /// The peer sent GOAWAY: no new streams may be opened on this connection.
    func connectionDidReceiveGoAway(_ connection: UpstreamConnection)
    /// A stream slot may have become free (a stream closed or the peer raised its limit).
    func connectionHasCapacity(_ connection: UpstreamConnection)
}

/// One HTTP/2 connection to a backend: the channel handler that drives an ``NGHTTP2Session`` and
/// multiplexes ``UpstreamCall``s on it.
///
/// Its lifecycle, stream admission and liveness live in an ``UpstreamConnectionStateMachine``,
/// stepped with the event loop's clock; this handler feeds it events and carries out its actions.
///
/// Output pump: nghttp2 only serializes when asked, so every change (a submitted request, a body
/// append, a reset) schedules one drain per event-loop tick; reads drain at `channelReadComplete`.
/// Draining stops while the channel is not writable and resumes in `channelWritabilityChanged`,
/// so large bodies never buffer beyond the channel's high-water mark.
final class UpstreamConnection: ChannelInboundHandler, NGHTTP2BodySource {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    static let drainChunkLimit = 256 << 10

    let target: UpstreamTarget
    let configuration: UpstreamConfiguration
    let logger: Logger
    private let authority: String
    /// `https` over TLS, `http` over h2c.
    private let scheme: StaticString
    weak var owner: (any UpstreamConnectionOwner)?
    /// Hears when the socket opens and closes (metrics).
    var observer: (any EndpointObserver)?
    /// Whether ``observer`` was told the socket opened (so it hears of the close once).
    private var countedOpen = false

    var session: NGHTTP2Session?
    var context: ChannelHandlerContext?
    var streams: [Int32: UpstreamCall] = [:]
    /// Lifecycle, stream admission, keepalive and idle reaping.
    var machine: UpstreamConnectionStateMachine
    // The output pump (see +Pump).
    var flushScheduled = false
    var isReading = false
    var isFlushing = false
    var needsFlush = false
    /// The pending keepalive/idle check (see +Keepalive).
    var livenessCheck: Scheduled<Void>?
    /// Succeeds on the backend's first SETTINGS frame (its connection preface), fails if the
    /// connection closes first; nil once completed.
    private var preface: EventLoopPromise<Void>?

    init(target: UpstreamTarget, configuration: UpstreamConfiguration, logger: Logger) {
        self.target = target
        self.configuration = configuration
        self.logger = logger
        self.authority = configuration.authority ?? target.authority
        self.scheme = configuration.tls == nil ? "http" : "https"
        self.machine = UpstreamConnectionStateMachine(configuration: configuration)
    }

    /// Number of calls with an open stream on this connection.
    var openStreamCount: Int { self.streams.count }

    /// Whether a new call may start a stream now.
    var canStartStream: Bool {
        guard let session else { return false }
        return self.machine.canStartStream(
            openStreams: self.streams.count,
            peerMaxConcurrentStreams: session.remoteMaxConcurrentStreams
        )
    }

    /// Whether the connection reads and writes (from our SETTINGS until it closes).
    var isOpen: Bool { self.machine.isOpen }

    /// Whether the channel is still usable (not closed, no GOAWAY).
    var isUsable: Bool { self.machine.isUsable }

    // MARK: Calls

    /// Submits `call`'s HEADERS and makes it active. On failure the call finishes with UNAVAILABLE
    /// on the next tick.
    func start(_ call: UpstreamCall) {
        guard let session, let context, self.isOpen else {
            call.finish(
                GRPCStatus(code: .unavailable, message: "connection to \(self.target) is closed"),
                deferred: true
            )
            return
        }
        session.requestFields.removeAll()
        session.requestFields.append(":method", "POST")
        session.requestFields.append(":scheme", self.scheme)
        session.requestFields.append(":path", call.path)
        session.requestFields.append(":authority", self.authority)
        session.requestFields.append("content-type", "application/grpc")
        session.requestFields.append("te", "trailers")
        session.requestFields.append("user-agent", self.configuration.userAgent)
        session.requestFields.append("grpc-accept-encoding", "gzip")
        if call.compressesRequests { session.requestFields.append("grpc-encoding", "gzip") }
        if let deadline = call.deadline {
            session.requestFields.append(
                "grpc-timeout",
                GRPCTimeout.encode(nanoseconds: (deadline - context.eventLoop.now).nanoseconds)
            )
        }
        for (name, value) in call.metadata { session.requestFields.append(name, value) }
        let streamID = session.submitRequest()
        guard streamID > 0 else {
            let error = NGHTTP2LibraryError(code: Int(streamID))
            call.finish(GRPCStatus(code: .unavailable, message: "could not start a stream: \(error)"), deferred: true)
            return
        }
        self.streams[streamID] = call
        self.machine.streamOpened()
        call.streamStarted(on: self, streamID: streamID)
        self.outputChanged()
    }

    /// Forgets a finished call's stream, resetting it with `reset` when given.
    func releaseStream(streamID: Int32, reset: UInt32?) {
        guard self.streams.removeValue(forKey: streamID) != nil else { return }
        self.streamRemoved()
        if let reset {
            self.session?.resetStream(streamID: streamID, errorCode: reset)
            self.outputChanged()
        }
        self.owner?.connectionHasCapacity(self)
    }

    func resumeBody(streamID: Int32) {
        self.session?.resumeBody(streamID: streamID)
        self.outputChanged()
    }

    func consume(streamID: Int32, _ count: Int) {
        self.session?.consumeStream(streamID: streamID, count)
        self.outputChanged()
    }

    /// Tells the state machine that a stream left ``streams``.
    func streamRemoved() {
        guard let context else { return }
        self.machine.streamClosed(remainingStreams: self.streams.count, now: context.eventLoop.now)
    }

    func readBody(streamID: Int32, into buffer: UnsafeMutableRawBufferPointer) -> NGHTTP2BodyRead {
        guard let call = self.streams[streamID] else { return .unknownStream }
        return call.readBody(into: buffer)
    }

    /// Fails every call with `status` (delivered on the next tick) and closes the channel.
    func shutdown(status: GRPCStatus) -> EventLoopFuture<Void>? {
        self.failAllStreams(status, deferred: true)
        guard let context, !self.machine.isClosed else { return nil }
        self.session?.terminate(errorCode: 0)
        self.flush()
        return context.channel.close()
    }

    func failAllStreams(_ status: GRPCStatus, deferred: Bool) {
        guard !self.streams.isEmpty else { return }
        let calls = self.streams.sorted { $0.key < $1.key }
        self.streams.removeAll()
        for (_, call) in calls {
            call.finish(status, deferred: deferred)
        }
    }

    // MARK: Channel events

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        self.preface = context.eventLoop.makePromise()
        do {
            let session = try NGHTTP2Session(allocator: context.channel.allocator)
            session.bodySource = self
            self.session = session
        } catch {
            self.logger.error("cannot create nghttp2 session", metadata: ["error": "\(error)"])
            context.close(promise: nil)
            return
        }
        // Open now, not in channelActive: the connect future (whose callback starts the waiting
        // calls) completes before channelActive fires. Frames queue until the channel is active.
        self.open(context: context)
    }

    func channelActive(context: ChannelHandlerContext) {
        if !self.countedOpen, let observer = self.observer {
            self.countedOpen = true
            observer.connectionOpened()
        }
        self.flush()
        context.fireChannelActive()
    }

    private func open(context: ChannelHandlerContext) {
        guard let session, self.machine.sessionOpened(now: context.eventLoop.now) else { return }
        do {
            try session.submitSettings(
                streamWindow: self.configuration.streamWindowSize,
                connectionWindow: self.configuration.connectionWindowSize
            )
        } catch {
            self.logger.error("cannot submit SETTINGS", metadata: ["error": "\(error)"])
            context.close(promise: nil)
            return
        }
        if context.channel.isActive { self.flush() }
        self.armLivenessCheck(at: self.machine.nextLivenessCheck(now: context.eventLoop.now), context: context)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard let session, case .process = self.machine.bytesReceived(now: context.eventLoop.now) else { return }
        let bytes = self.unwrapInboundIn(data)
        self.isReading = true
        defer { self.isReading = false }
        do {
            try session.receive(bytes)
        } catch {
            // nghttp2 has queued a GOAWAY; it is flushed below and the session then wants no I/O.
            self.logger.warning("HTTP/2 protocol error from \(self.target)", metadata: ["error": "\(error)"])
            self.needsFlush = true
        }
        self.processEvents()
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        self.flush()
        context.fireChannelReadComplete()
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        if context.channel.isWritable { self.flush() }
        context.fireChannelWritabilityChanged()
    }

    func channelInactive(context: ChannelHandlerContext) {
        self.countClose()
        self.closed(reason: "connection to \(self.target) closed")
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        self.logger.debug("upstream connection error", metadata: ["error": "\(error)", "target": "\(self.target)"])
        self.closed(reason: "connection to \(self.target) failed: \(error)")
        context.close(promise: nil)
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        self.countClose()
        self.closed(reason: "connection to \(self.target) closed")
        // Never inside a library call: handlers are removed on a later tick than the close.
        self.session?.close()
        self.session = nil
        self.context = nil
    }

    private func countClose() {
        guard self.countedOpen else { return }
        self.countedOpen = false
        self.observer?.connectionClosed()
    }

    /// Waits for the backend's connection preface (its first SETTINGS, which carries its stream
    /// limit), as gRPC clients do before using a connection; closes the connection when none
    /// arrives within `timeout`. Fails with ``UpstreamConnectError``.
    func awaitPreface(timeout: TimeAmount, on eventLoop: any EventLoop) -> EventLoopFuture<Void> {
        guard let preface else {
            if self.machine.isClosed {
                return eventLoop.makeFailedFuture(UpstreamConnectError(reason: "connection to \(self.target) closed"))
            }
            return eventLoop.makeSucceededVoidFuture()
        }
        let expiry = eventLoop.assumeIsolated().scheduleTask(in: timeout) { [self] in
            self.closed(reason: "no HTTP/2 SETTINGS from \(self.target) within \(timeout)")
            self.context?.close(promise: nil)
        }
        preface.futureResult.whenComplete { _ in expiry.cancel() }
        return preface.futureResult
    }

    /// The backend's preface arrived.
    func receivedPeerSettings() {
        self.preface?.succeed()
        self.preface = nil
    }

    func closed(reason: String) {
        self.preface?.fail(UpstreamConnectError(reason: reason))
        self.preface = nil
        guard case .close = self.machine.close() else { return }
        self.livenessCheck?.cancel()
        self.livenessCheck = nil
        // The owner learns first, so calls started from the failed calls' delegates go elsewhere.
        self.owner?.connectionDidClose(self)
        self.owner = nil
        self.failAllStreams(GRPCStatus(code: .unavailable, message: reason), deferred: false)
    }
}

@available(*, unavailable)
extension UpstreamConnection: Sendable {}
