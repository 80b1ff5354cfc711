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
/// let call = client.makeCall(path: "/demo.user.v1.UserService/GetUser", metadata: [],
///                            timeout: .seconds(5))
/// call.start(delegate: handler)  // or client.startCall(..., delegate: handler) in one step
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
///
/// The connect state and the reconnect backoff live in an ``UpstreamClientStateMachine``, stepped
/// with the event loop's clock (`eventLoop.now`); every timer is scheduled on the loop.
public final class UpstreamClient {
    /// Decides where calls go when this client's connect fails; see ``UpstreamCallRouter``.
    public weak var router: (any UpstreamCallRouter)?
    /// Hears of this client's connections, connect attempts and transparent retries (metrics).
    public var observer: (any EndpointObserver)?
    /// Connect attempts that failed in a row (0 once one succeeds): the passive health signal.
    public var consecutiveConnectFailures: Int { self.machine.consecutiveConnectFailures }
    /// When the last connect failed, by the event loop's clock.
    public var lastConnectFailure: NIODeadline? { self.machine.lastConnectFailure }

    /// The backend.
    public let target: UpstreamTarget
    /// The loop every method must be called on and every delegate callback runs on.
    public let eventLoop: any EventLoop
    private let configuration: UpstreamConfiguration
    private let logger: Logger
    private let allocator = ByteBufferAllocator()
    /// Connect state and reconnect backoff.
    private var machine: UpstreamClientStateMachine<UpstreamConnection>
    /// The connect in progress (while the machine is `connecting`), to close its channel when the
    /// client closes first.
    private var pendingConnect: EventLoopFuture<any Channel>?
    /// Opens a channel whose pipeline ends in an ``UpstreamConnection`` (a socket, by default).
    private let openChannel: ((UpstreamClient) -> EventLoopFuture<any Channel>)?
    private var waiting = CircularBuffer<UpstreamCall>()
    /// Connections after GOAWAY (or replaced), still finishing their streams.
    private var draining: [ObjectIdentifier: UpstreamConnection] = [:]
    private var isDrainingWaiting = false
    /// The pending deadline check and when it fires (see `UpstreamClient+Deadlines.swift`).
    var deadlineCheck: (task: Scheduled<Void>, at: NIODeadline)?

    /// Connections successfully opened over the client's lifetime.
    public var connectionCount: Int { self.machine.connectionCount }

    /// Creates a client; nothing connects until the first call.
    /// - Parameters:
    ///   - target: The backend address.
    ///   - eventLoop: The loop the client lives on.
    ///   - configuration: Timeouts, limits and backoff.
    ///   - logger: Receives connection-level events (connects, GOAWAY, protocol errors).
    public convenience init(
        target: UpstreamTarget,
        eventLoop: any EventLoop,
        configuration: UpstreamConfiguration,
        logger: Logger
    ) {
        self.init(
            target: target,
            eventLoop: eventLoop,
            configuration: configuration,
            logger: logger,
            random: SystemRandomNumberGenerator()
        )
    }

    /// Creates a client with its sources of randomness and of channels injected (for tests).
    /// - Parameters:
    ///   - random: Draws the reconnect backoff's jitter.
    ///   - openChannel: Opens a channel to the backend whose pipeline ends in an
    ///     ``UpstreamConnection``; nil connects a socket with `ClientBootstrap`.
    init(
        target: UpstreamTarget,
        eventLoop: any EventLoop,
        configuration: UpstreamConfiguration,
        logger: Logger,
        random: any RandomNumberGenerator,
        openChannel: ((UpstreamClient) -> EventLoopFuture<any Channel>)? = nil
    ) {
        self.target = target
        self.eventLoop = eventLoop
        self.configuration = configuration
        self.logger = logger
        self.machine = UpstreamClientStateMachine(configuration: configuration, random: random)
        self.openChannel = openChannel
    }

    /// Makes a call that is not started yet: `POST path` with `content-type: application/grpc`,
    /// `te: trailers`, `user-agent`, `grpc-timeout` (when `timeout` is given) and `metadata`.
    ///
    /// Nothing is sent and nothing is queued until ``UpstreamCall/start(delegate:)``, so the
    /// owner of the call can hold it before it has a delegate; messages sent meanwhile are
    /// buffered. Its deadline runs from now (the event loop's clock). Must be called on
    /// ``eventLoop``.
    /// - Parameters:
    ///   - path: The gRPC method path, e.g. `/demo.user.v1.UserService/GetUser`.
    ///   - metadata: Request metadata. Names are lower-cased; names invalid in HTTP/2, reserved
    ///     (`grpc-timeout`, `content-type`, `te`, `user-agent`, pseudo-headers) or connection-specific
    ///     are skipped, as are values containing CR, LF or NUL. Values are sent as given (callers
    ///     base64-encode `-bin` values); surrounding blanks are trimmed.
    ///   - timeout: The deadline, sent as `grpc-timeout` and enforced locally: on expiry the stream
    ///     is reset and the call finishes with `DEADLINE_EXCEEDED`.
    ///   - onFinish: Runs once when the call finishes, however it ends, before the delegate
    ///     hears of it (accounting such as concurrency limits).
    /// - Returns: The call, to start, send messages on, half-close or cancel.
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
            sendBufferWatermarks: (
                self.configuration.sendBufferHighWatermark, self.configuration.sendBufferLowWatermark
            ),
            compressesRequests: self.configuration.compressRequests,
            maxMetadataBytes: self.configuration.maxResponseMetadataBytes
        )
        call.onFinish = onFinish
        call.client = self
        return call
    }

    /// Starts a call: ``makeCall(path:metadata:timeout:onFinish:)``, then
    /// ``UpstreamCall/start(delegate:)``.
    ///
    /// Never throws and never calls the delegate before returning: failures (no connection, client
    /// closed) arrive as `didFinishWith(UNAVAILABLE)` on a later tick. Must be called on
    /// ``eventLoop``.
    /// - Parameters:
    ///   - path: The gRPC method path, e.g. `/demo.user.v1.UserService/GetUser`.
    ///   - metadata: Request metadata (see ``makeCall(path:metadata:timeout:onFinish:)``).
    ///   - timeout: The deadline, sent as `grpc-timeout` and enforced locally.
    ///   - delegate: Receives the response; kept alive until the call finishes.
    ///   - onFinish: Runs once when the call finishes, however it ends, before the delegate
    ///     hears of it.
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

    /// Takes over a call that never reached a backend (another client's connect failed): it
    /// starts here as if it had been made here, with the messages already sent to it. Must be
    /// called on ``eventLoop``, which must be the call's loop.
    public func adopt(_ call: UpstreamCall) {
        self.eventLoop.preconditionInEventLoop()
        guard call.isWaiting else { return }
        self.enqueue(call)
    }

    /// Every call this client holds: waiting, or open on its current or draining connections.
    var heldCalls: [UpstreamCall] {
        var calls = Array(self.waiting)
        if let connection = self.machine.readyConnection { calls.append(contentsOf: connection.streams.values) }
        for connection in self.draining.values { calls.append(contentsOf: connection.streams.values) }
        return calls
    }

    /// Calls waiting for a connection or a stream, plus streams open on this client's
    /// connections: the load figure for least-outstanding balancing.
    public var outstandingCalls: Int {
        var count = self.waiting.count
        if let connection = self.machine.readyConnection { count += connection.openStreamCount }
        for connection in self.draining.values { count += connection.openStreamCount }
        return count
    }

    /// Whether a new call here would wait for a stream: the connection is at its peer's stream
    /// limit (or calls already wait), or a connect is pending with as many calls waiting as a
    /// connection is assumed to take.
    public var isSaturated: Bool {
        switch self.machine.state {
        case .ready(let connection):
            return !self.waiting.isEmpty || !connection.canStartStream
        case .connecting:
            return self.waiting.count
                >= min(self.configuration.maxConcurrentStreams, self.configuration.unadvertisedPeerMaxConcurrentStreams)
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
            if call.isWaiting { calls.append(call) }
        }
        return calls
    }

    /// Queues a started call: it starts now if the connection has a free stream and nobody
    /// waits, otherwise it waits (for a stream, or for a connect).
    func enqueue(_ call: UpstreamCall) {
        call.client = self
        self.watchDeadline(of: call)
        switch self.machine.enqueue(now: self.eventLoop.now) {
        case .failClosed:
            call.finish(
                GRPCStatus(code: .unavailable, message: "upstream client for \(self.target) is closed"),
                deferred: true
            )
        case .startOrQueue(let connection) where self.waiting.isEmpty && connection.canStartStream:
            connection.start(call)
        case .startOrQueue:
            self.waiting.append(call)
            if !self.isDrainingWaiting { self.router?.upstreamClientRanOutOfStreams(self) }
        case .failFast(let reason):
            call.finish(GRPCStatus(code: .unavailable, message: reason), deferred: true)
        case .queueAndConnect:
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
        switch self.machine.close() {
        case .closeConnection(let connection):
            self.draining[ObjectIdentifier(connection)] = connection
        case .cancelConnect:
            if let future = self.pendingConnect.take() {
                closing.append(future.flatMap { $0.close() }.recover { _ in })
            }
        case .none:
            break
        }
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
        guard self.machine.connectIfNeeded(now: self.eventLoop.now) else { return }
        let target = self.target
        let configuration = self.configuration
        let tls = configuration.tls
        let future = (self.openChannel?(self) ?? self.connectSocket())
            .flatMap { channel in
                guard tls != nil else { return channel.eventLoop.makeSucceededFuture(channel) }
                // The TCP connect completed on this tick; the handshake needs replies, so the gate
                // is still in the pipeline.
                guard let gate = try? channel.pipeline.syncOperations.handler(type: UpstreamTLSHandshakeHandler.self)
                else {
                    channel.close(promise: nil)
                    let error = UpstreamTLSError(
                        code: .handshake,
                        message: "TLS connection to \(target) closed before its handshake"
                    )
                    return channel.eventLoop.makeFailedFuture(error)
                }
                return gate.established.map { channel }
            }
            .flatMap { (channel: any Channel) -> EventLoopFuture<any Channel> in
                // Calls start once the backend's SETTINGS (and so its stream limit) are known.
                guard let connection = try? channel.pipeline.syncOperations.handler(type: UpstreamConnection.self)
                else {
                    channel.close(promise: nil)
                    return channel.eventLoop.makeFailedFuture(
                        UpstreamConnectError(reason: "connection to \(target) closed right after connecting")
                    )
                }
                return connection.awaitPreface(timeout: configuration.connectTimeout, on: channel.eventLoop).map {
                    channel
                }
            }
        self.pendingConnect = future
        future.assumeIsolated().whenComplete { [self] result in
            self.connectCompleted(result)
        }
    }

    /// Connects a socket whose pipeline is TLS (when configured) and an ``UpstreamConnection``.
    private func connectSocket() -> EventLoopFuture<any Channel> {
        let target = self.target
        let configuration = self.configuration
        let logger = self.logger
        let observer = self.observer
        let tls = configuration.tls
        var bootstrap = ClientBootstrap(group: self.eventLoop).connectTimeout(configuration.connectTimeout)
        if target.unixSocketPath == nil {
            // A TCP option: a unix socket refuses it.
            bootstrap = bootstrap.channelOption(.tcpOption(.tcp_nodelay), value: 1)
        }
        bootstrap =
            bootstrap
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    let sync = channel.pipeline.syncOperations
                    if let tls {
                        let serverHostname = tls.serverHostname(for: target)
                        try sync.addHandler(
                            NIOSSLClientHandler(context: tls.sslContext, serverHostname: serverHostname)
                        )
                        let gate = UpstreamTLSHandshakeHandler(
                            target: target,
                            expectedName: serverHostname,
                            timeout: configuration.connectTimeout,
                            eventLoop: channel.eventLoop
                        )
                        try sync.addHandler(gate)
                    }
                    let connection = UpstreamConnection(target: target, configuration: configuration, logger: logger)
                    connection.observer = observer
                    try sync.addHandler(connection)
                }
            }
        if let path = target.unixSocketPath {
            return bootstrap.connect(unixDomainSocketPath: path)
        } else if let address = target.resolvedAddress {
            return bootstrap.connect(to: address)
        } else {
            return bootstrap.connect(host: target.host, port: target.port)
        }
    }

    private func connectCompleted(_ result: Result<any Channel, any Error>) {
        // Not connecting: closed meanwhile; close() already closes the channel through the
        // stored future.
        guard self.machine.isConnecting else { return }
        self.pendingConnect = nil
        switch result {
        case .success(let channel):
            let connection = try? channel.pipeline.syncOperations.handler(type: UpstreamConnection.self)
            guard let connection, connection.isUsable, channel.isActive else {
                self.connectFailed(reason: "connection to \(self.target) closed right after connecting")
                channel.close(promise: nil)
                return
            }
            _ = self.machine.connectSucceeded(connection)
            self.observer?.connectFinished(succeeded: true)
            connection.owner = self
            self.logger.debug("connected to upstream", metadata: ["target": "\(self.target)"])
            self.startWaitingCalls()
        case .failure(let error as UpstreamTLSError):
            self.connectFailed(reason: error.description)
        case .failure(let error as UpstreamConnectError):
            self.connectFailed(reason: error.reason)
        case .failure(let error):
            self.connectFailed(reason: UpstreamConnectError(target: self.target, error: error).reason)
        }
    }

    private func connectFailed(reason: String) {
        guard let backoff = self.machine.connectFailed(reason: reason, now: self.eventLoop.now) else { return }
        self.observer?.connectFinished(succeeded: false)
        self.logger.debug("upstream connect failed", metadata: ["reason": "\(reason)", "backoff": "\(backoff)"])
        // These calls never reached a backend: another endpoint may take them.
        let status = GRPCStatus(code: .unavailable, message: reason)
        while let call = self.waiting.popFirst() {
            guard call.isWaiting else { continue }
            call.failedConnectAttempts += 1
            if call.isReroutable, let router = self.router, router.upstreamClient(self, couldNotConnectFor: call) {
                continue
            }
            call.finish(status, deferred: false)
        }
    }

    // MARK: Waiting calls

    private func startWaitingCalls() {
        guard let connection = self.machine.readyConnection, !self.isDrainingWaiting else { return }
        self.isDrainingWaiting = true
        while connection.canStartStream, let call = self.waiting.popFirst() {
            if call.isWaiting { connection.start(call) }
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
        guard self.machine.connectionLost(connection) else { return }
        if !self.waiting.isEmpty { self.connectIfNeeded() }
    }

    func connectionDidReceiveGoAway(_ connection: UpstreamConnection) {
        guard self.machine.connectionLost(connection) else { return }
        self.draining[ObjectIdentifier(connection)] = connection
        if !self.waiting.isEmpty { self.connectIfNeeded() }
    }

    func connectionHasCapacity(_ connection: UpstreamConnection) {
        guard self.machine.isReady(connection), !self.waiting.isEmpty else { return }
        self.startWaitingCalls()
    }
}

@available(*, unavailable)
extension UpstreamClient: Sendable {}
