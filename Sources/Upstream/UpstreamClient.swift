public import Logging
public import NIOCore
import NIOPosix
import NIOSSL

/// A gRPC client for one backend on one event loop: one HTTP/2 connection (h2c, or h2 over TLS
/// when the configuration has ``UpstreamConfiguration/tls``), created lazily and re-created after
/// it dies, with many calls multiplexed on it.
///
/// Create one per (event loop, backend) and use it only on that loop; it is not `Sendable`.
///
/// ```swift
/// let client = UpstreamClient(target: .init(host: "127.0.0.1", port: 50051), eventLoop: loop,
///                             configuration: .defaults, logger: logger)
/// let call = client.startCall(path: "/demo.user.v1.UserService/GetUser", metadata: [],
///                             timeout: .seconds(5), delegate: handler)
/// call.send(message: requestBytes)
/// call.finish()
/// // handler receives didReceiveHeaders, didReceiveMessage, then didFinishWith
/// ```
///
/// Connection policy:
/// - Calls made while there is no connection wait for one; if the connect fails they finish with
///   `UNAVAILABLE`, and calls fail fast for a backoff period before the next attempt. The
///   connect includes the backend's HTTP/2 preface (its first SETTINGS, with its stream limit)
///   within the connect timeout. With TLS, it also includes the handshake (ALPN `h2` required),
///   so a refused certificate either way is a failed connect whose reason names the TLS error.
/// - Calls beyond the stream limit wait, in order, for a free stream on the same connection; the
///   ``router`` hears of it and may move them to another connection (a connection pool).
/// - After GOAWAY the connection only finishes its streams; new calls open a fresh connection.
/// - When the connection dies, its calls finish with `UNAVAILABLE`; the next call reconnects.
public final class UpstreamClient {
    /// Decides where calls go when this client's connect fails; see ``UpstreamCallRouter``.
    public weak var router: (any UpstreamCallRouter)?
    /// Connect attempts that failed in a row (0 once one succeeds): the passive health signal.
    public private(set) var consecutiveConnectFailures = 0
    /// When the last connect failed.
    public private(set) var lastConnectFailure: NIODeadline?

    private enum State {
        case idle
        case connecting(EventLoopFuture<any Channel>)
        case ready(UpstreamConnection)
        /// The last connect failed; calls fail fast until `until`.
        case backingOff(until: NIODeadline, reason: String)
        case closed
    }

    /// The backend.
    public let target: UpstreamTarget
    /// The loop every method must be called on and every delegate callback runs on.
    public let eventLoop: any EventLoop
    private let configuration: UpstreamConfiguration
    private let logger: Logger
    private let allocator = ByteBufferAllocator()
    private var state = State.idle
    private var waiting = CircularBuffer<UpstreamCall>()
    /// Connections after GOAWAY (or replaced), still finishing their streams.
    private var draining: [ObjectIdentifier: UpstreamConnection] = [:]
    private var nextBackoff: TimeAmount
    private var isDrainingWaiting = false
    /// The pending deadline check and when it fires (see `UpstreamClient+Deadlines.swift`).
    var deadlineCheck: (task: Scheduled<Void>, at: NIODeadline)?

    /// Connections successfully opened over the client's lifetime.
    public private(set) var connectionCount = 0

    /// Creates a client; nothing connects until the first call.
    /// - Parameters:
    ///   - target: The backend address.
    ///   - eventLoop: The loop the client lives on.
    ///   - configuration: Timeouts, limits and backoff.
    ///   - logger: Receives connection-level events (connects, GOAWAY, protocol errors).
    public init(target: UpstreamTarget, eventLoop: any EventLoop, configuration: UpstreamConfiguration, logger: Logger) {
        self.target = target
        self.eventLoop = eventLoop
        self.configuration = configuration
        self.logger = logger
        self.nextBackoff = configuration.reconnectBackoffInitial
    }

    /// Makes a call that is not started yet: `POST path` with `content-type: application/grpc`,
    /// `te: trailers`, `user-agent`, `grpc-timeout` (when `timeout` is given) and `metadata`, once
    /// ``UpstreamCall/start(delegate:)`` queues it. Splitting the two lets the delegate hold the
    /// call from its own initializer. Must be called on ``eventLoop``.
    /// - Parameters:
    ///   - path: The gRPC method path, e.g. `/demo.user.v1.UserService/GetUser`.
    ///   - metadata: Request metadata. Names are lower-cased; names invalid in HTTP/2, reserved
    ///     (`grpc-timeout`, `content-type`, `te`, `user-agent`, pseudo-headers) or connection-specific
    ///     are skipped, as are values containing CR, LF or NUL. Values are sent as given (callers
    ///     base64-encode `-bin` values); surrounding blanks are trimmed.
    ///   - timeout: The deadline, from now, sent as `grpc-timeout` and enforced locally: on expiry
    ///     the stream is reset and the call finishes with `DEADLINE_EXCEEDED`.
    ///   - onFinish: Runs once when the call finishes, however it ends, before the delegate
    ///     hears of it (accounting such as concurrency limits).
    /// - Returns: The call, to start, then send messages on, half-close or cancel.
    public func makeCall(
        path: String,
        metadata: [(name: String, value: String)],
        timeout: TimeAmount?,
        onFinish: (() -> Void)? = nil
    ) -> UpstreamCall {
        self.eventLoop.preconditionInEventLoop()
        let call = UpstreamCall(
            path: path,
            metadata: UpstreamMetadata.validated(metadata),
            timeout: timeout,
            eventLoop: self.eventLoop,
            allocator: self.allocator,
            maxMessageLength: self.configuration.maxResponseMessageLength,
            sendBufferWatermarks: (self.configuration.sendBufferHighWatermark, self.configuration.sendBufferLowWatermark),
            compressesRequests: self.configuration.compressRequests,
            maxMetadataBytes: self.configuration.maxResponseMetadataBytes
        )
        call.onFinish = onFinish
        call.client = self
        return call
    }

    /// Makes a call and starts it (``makeCall(path:metadata:timeout:onFinish:)`` then
    /// ``UpstreamCall/start(delegate:)``).
    ///
    /// Never throws and never calls the delegate before returning: failures (no connection, client
    /// closed) arrive as `didFinishWith(UNAVAILABLE)` on a later tick. Must be called on
    /// ``eventLoop``.
    /// - Returns: The call, to send messages on, half-close or cancel.
    public func startCall(
        path: String,
        metadata: [(name: String, value: String)],
        timeout: TimeAmount?,
        delegate: any UpstreamCallDelegate,
        onFinish: (() -> Void)? = nil
    ) -> UpstreamCall {
        let call = self.makeCall(path: path, metadata: metadata, timeout: timeout, onFinish: onFinish)
        call.start(delegate: delegate)
        return call
    }

    /// Queues `call` (made by ``makeCall(path:metadata:timeout:onFinish:)``) on this client.
    func start(_ call: UpstreamCall) {
        self.enqueue(call)
    }

    /// Takes over a call that never reached a backend (another client's connect failed): it
    /// starts here as if it had been made here, with the messages already sent to it. Must be
    /// called on ``eventLoop``, which must be the call's loop.
    public func adopt(_ call: UpstreamCall) {
        self.eventLoop.preconditionInEventLoop()
        guard case .waiting = call.state else { return }
        self.enqueue(call)
    }

    /// Every call this client holds: waiting, or open on its current or draining connections.
    var heldCalls: [UpstreamCall] {
        var calls = Array(self.waiting)
        if case .ready(let connection) = self.state { calls.append(contentsOf: connection.streams.values) }
        for connection in self.draining.values { calls.append(contentsOf: connection.streams.values) }
        return calls
    }

    /// Calls waiting for a connection or a stream, plus streams open on this client's
    /// connections: the load figure for least-outstanding balancing.
    public var outstandingCalls: Int {
        var count = self.waiting.count
        if case .ready(let connection) = self.state { count += connection.openStreamCount }
        for connection in self.draining.values { count += connection.openStreamCount }
        return count
    }

    /// Whether a new call here would wait for a stream: the connection is at its peer's stream
    /// limit (or calls already wait), or a connect is pending with as many calls waiting as a
    /// connection is assumed to take.
    public var isSaturated: Bool {
        switch self.state {
        case .ready(let connection):
            return !self.waiting.isEmpty || !connection.canStartStream
        case .connecting:
            return self.waiting.count >= min(self.configuration.maxConcurrentStreams, self.configuration.unadvertisedPeerMaxConcurrentStreams)
        case .idle, .backingOff, .closed:
            return false
        }
    }

    /// Removes and returns the calls waiting for a stream or a connection, in order, so a router
    /// can ``adopt(_:)`` them into another client. Must be called on ``eventLoop``.
    public func takeWaitingCalls() -> [UpstreamCall] {
        self.eventLoop.preconditionInEventLoop()
        var calls: [UpstreamCall] = []
        while let call = self.waiting.popFirst() {
            if case .waiting = call.state { calls.append(call) }
        }
        return calls
    }

    private func enqueue(_ call: UpstreamCall) {
        call.client = self
        self.watchDeadline(of: call)
        switch self.state {
        case .closed:
            call.finish(GRPCStatus(code: .unavailable, message: "upstream client for \(self.target) is closed"), deferred: true)
        case .ready(let connection) where self.waiting.isEmpty && connection.canStartStream:
            connection.start(call)
        case .ready:
            self.waiting.append(call)
            if !self.isDrainingWaiting { self.router?.upstreamClientRanOutOfStreams(self) }
        case .backingOff(let until, let reason) where NIODeadline.now() < until:
            call.finish(GRPCStatus(code: .unavailable, message: reason), deferred: true)
        default:
            self.waiting.append(call)
            self.connectIfNeeded()
        }
    }

    /// Fails every call (`UNAVAILABLE`, delivered on a later tick), closes the connections and
    /// refuses new calls. Must be called on ``eventLoop``.
    /// - Returns: A future that completes when every connection is closed.
    public func close() -> EventLoopFuture<Void> {
        self.eventLoop.preconditionInEventLoop()
        let status = GRPCStatus(code: .unavailable, message: "upstream client for \(self.target) is closed")
        var closing: [EventLoopFuture<Void>] = []
        switch self.state {
        case .ready(let connection):
            self.draining[ObjectIdentifier(connection)] = connection
        case .connecting(let future):
            closing.append(future.flatMap { $0.close() }.recover { _ in })
        case .idle, .backingOff, .closed:
            break
        }
        self.state = .closed
        self.deadlineCheck?.task.cancel()
        self.deadlineCheck = nil
        self.failWaiting(status, deferred: true)
        let connections = self.draining.values
        self.draining.removeAll()
        for connection in connections {
            connection.owner = nil
            if let future = connection.shutdown(status: status) {
                closing.append(future.recover { _ in })
            }
        }
        return EventLoopFuture.andAllSucceed(closing, on: self.eventLoop)
    }

    // MARK: Connecting

    private func connectIfNeeded() {
        switch self.state {
        case .idle:
            break
        case .backingOff(let until, _) where NIODeadline.now() >= until:
            break
        case .backingOff, .connecting, .ready, .closed:
            return
        }
        let target = self.target
        let configuration = self.configuration
        let logger = self.logger
        let tls = configuration.tls
        var bootstrap = ClientBootstrap(group: self.eventLoop).connectTimeout(self.configuration.connectTimeout)
        if target.unixSocketPath == nil {
            // A TCP option: a unix socket refuses it.
            bootstrap = bootstrap.channelOption(.socketOption(.tcp_nodelay), value: 1)
        }
        bootstrap = bootstrap
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    let sync = channel.pipeline.syncOperations
                    if let tls {
                        let serverHostname = tls.serverHostname(for: target)
                        try sync.addHandler(NIOSSLClientHandler(context: tls.sslContext, serverHostname: serverHostname))
                        let gate = UpstreamTLSHandshakeHandler(
                            target: target,
                            expectedName: serverHostname,
                            timeout: configuration.connectTimeout,
                            eventLoop: channel.eventLoop
                        )
                        try sync.addHandler(gate)
                    }
                    let connection = UpstreamConnection(target: target, configuration: configuration, logger: logger)
                    try sync.addHandler(connection)
                }
            }
        let connecting: EventLoopFuture<any Channel>
        if let path = target.unixSocketPath {
            connecting = bootstrap.connect(unixDomainSocketPath: path)
        } else if let address = target.resolvedAddress {
            connecting = bootstrap.connect(to: address)
        } else {
            connecting = bootstrap.connect(host: target.host, port: target.port)
        }
        let future = connecting
            .flatMap { channel in
                guard tls != nil else { return channel.eventLoop.makeSucceededFuture(channel as any Channel) }
                // The TCP connect completed on this tick; the handshake needs replies, so the gate
                // is still in the pipeline.
                guard let gate = try? channel.pipeline.syncOperations.handler(type: UpstreamTLSHandshakeHandler.self) else {
                    channel.close(promise: nil)
                    let error = UpstreamTLSError(code: .handshake, message: "TLS connection to \(target) closed before its handshake")
                    return channel.eventLoop.makeFailedFuture(error)
                }
                return gate.established.map { channel as any Channel }
            }
            .flatMap { (channel: any Channel) -> EventLoopFuture<any Channel> in
                // Calls start once the backend's SETTINGS (and so its stream limit) are known.
                guard let connection = try? channel.pipeline.syncOperations.handler(type: UpstreamConnection.self) else {
                    channel.close(promise: nil)
                    return channel.eventLoop.makeFailedFuture(UpstreamConnectError(reason: "connection to \(target) closed right after connecting"))
                }
                return connection.awaitPreface(timeout: configuration.connectTimeout, on: channel.eventLoop).map { channel as any Channel }
            }
        self.state = .connecting(future)
        future.assumeIsolated().whenComplete { [self] result in
            self.connectCompleted(result)
        }
    }

    private func connectCompleted(_ result: Result<any Channel, any Error>) {
        guard case .connecting = self.state else {
            // Closed meanwhile; close() already closes the channel through the stored future.
            return
        }
        switch result {
        case .success(let channel):
            let connection = try? channel.pipeline.syncOperations.handler(type: UpstreamConnection.self)
            guard let connection, connection.isUsable, channel.isActive else {
                self.connectFailed(reason: "connection to \(self.target) closed right after connecting")
                channel.close(promise: nil)
                return
            }
            self.connectionCount += 1
            self.consecutiveConnectFailures = 0
            self.nextBackoff = self.configuration.reconnectBackoffInitial
            connection.owner = self
            self.state = .ready(connection)
            self.logger.debug("connected to upstream", metadata: ["target": "\(self.target)"])
            self.startWaitingCalls()
        case .failure(let error as UpstreamTLSError):
            self.connectFailed(reason: error.description)
        case .failure(let error as UpstreamConnectError):
            self.connectFailed(reason: error.reason)
        case .failure(let error):
            self.connectFailed(reason: "connect to \(self.target) failed: \(error)")
        }
    }

    private func connectFailed(reason: String) {
        let backoff = self.jittered(self.nextBackoff)
        let grown = Double(self.nextBackoff.nanoseconds) * self.configuration.reconnectBackoffMultiplier
        self.nextBackoff = .nanoseconds(min(Int64(grown), self.configuration.reconnectBackoffMax.nanoseconds))
        self.state = .backingOff(until: .now() + backoff, reason: reason)
        self.consecutiveConnectFailures += 1
        self.lastConnectFailure = .now()
        self.logger.debug("upstream connect failed", metadata: ["reason": "\(reason)", "backoff": "\(backoff)"])
        // These calls never reached a backend: another endpoint may take them.
        let status = GRPCStatus(code: .unavailable, message: reason)
        while let call = self.waiting.popFirst() {
            guard case .waiting = call.state else { continue }
            call.failedConnectAttempts += 1
            if call.isReroutable, let router = self.router, router.upstreamClient(self, couldNotConnectFor: call) {
                continue
            }
            call.finish(status, deferred: false)
        }
    }

    private func jittered(_ amount: TimeAmount) -> TimeAmount {
        let jitter = self.configuration.reconnectBackoffJitter
        guard jitter > 0 else { return amount }
        return .nanoseconds(Int64(Double(amount.nanoseconds) * Double.random(in: (1 - jitter)...(1 + jitter))))
    }

    // MARK: Waiting calls

    private func startWaitingCalls() {
        guard case .ready(let connection) = self.state, !self.isDrainingWaiting else { return }
        self.isDrainingWaiting = true
        while connection.canStartStream, let call = self.waiting.popFirst() {
            if case .waiting = call.state { connection.start(call) }
        }
        self.isDrainingWaiting = false
        if !self.waiting.isEmpty { self.router?.upstreamClientRanOutOfStreams(self) }
    }

    private func failWaiting(_ status: GRPCStatus, deferred: Bool) {
        while let call = self.waiting.popFirst() {
            call.finish(status, deferred: deferred)
        }
    }
}

extension UpstreamClient: UpstreamConnectionOwner {
    func connectionDidClose(_ connection: UpstreamConnection) {
        self.draining.removeValue(forKey: ObjectIdentifier(connection))
        guard case .ready(let current) = self.state, current === connection else { return }
        self.state = .idle
        if !self.waiting.isEmpty { self.connectIfNeeded() }
    }

    func connectionDidReceiveGoAway(_ connection: UpstreamConnection) {
        guard case .ready(let current) = self.state, current === connection else { return }
        self.draining[ObjectIdentifier(connection)] = connection
        self.state = .idle
        if !self.waiting.isEmpty { self.connectIfNeeded() }
    }

    func connectionHasCapacity(_ connection: UpstreamConnection) {
        guard case .ready(let current) = self.state, current === connection, !self.waiting.isEmpty else { return }
        self.startWaitingCalls()
    }
}

@available(*, unavailable)
extension UpstreamClient: Sendable {}
