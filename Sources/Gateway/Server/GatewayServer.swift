public import Logging
import NIOConcurrencyHelpers
public import NIOCore
import NIOHTTP1
public import NIOPosix
import NIOSSL
import NIOWebSocket
public import Prometheus
import Synchronization
public import Upstream

/// The HTTP/1.1 front end: a NIO server whose every event loop owns its own upstream connections
/// (Envoy's per-worker model). A request is handled from end to end on the loop that accepted its
/// connection, against the snapshot that loop had when the request began.
///
/// ```swift
/// let server = GatewayServer(snapshot: try GatewaySnapshot.load(configPath: "Gateway.yaml"), logger: logger)
/// let address = try await server.start()
/// try await server.install(newSnapshot)   // a reload: requests in flight keep the old one
/// await server.drain(gracePeriod: .seconds(25))   // SIGTERM: finish what runs, take nothing new
/// await server.stop()
/// ```
///
/// Operations: the admin listener (`admin:`, ``adminPort``), the Prometheus ``metrics`` registry,
/// reloads from ``configPath`` (``reloader``; watched when `watch: true`), readiness
/// (``readiness()``) and graceful drain (``drain(gracePeriod:)``).
public final class GatewayServer: Sendable {
    private let initialSnapshot: GatewaySnapshot
    let group: MultiThreadedEventLoopGroup
    private let ownsGroup: Bool
    let logger: Logger
    let loops: [GatewayLoop]
    private let loopIndex: [ObjectIdentifier: Int]
    let installer: SnapshotInstaller
    let channel: NIOLockedValueBox<(any Channel)?> = NIOLockedValueBox(nil)
    private let adminChannel: NIOLockedValueBox<(any Channel)?> = NIOLockedValueBox(nil)
    private let watcher: NIOLockedValueBox<Task<Void, Never>?> = NIOLockedValueBox(nil)
    private let draining = Atomic<Bool>(false)
    /// The registry `/metrics` renders; every metric of the server is recorded here.
    public let metrics: PrometheusCollectorRegistry
    /// The control plane's own metrics (reloads, build info).
    let operations: OperationsMetrics
    /// Reloads run one at a time (``ConfigReloader``).
    let reloads = ReloadQueue()
    /// The file the server's configuration came from, if any: what reloads read.
    public let configPath: String?
    /// The `--listen` override, kept across reloads.
    public let listenOverride: GatewayConfig.HostPort?
    private let accessLog: AccessLogWriter
    /// Keeps the schemas of backends with `reflection` current.
    let reflector: SchemaReflector

    /// Creates a server; call ``start(listen:)`` to bind.
    /// - Parameters:
    ///   - snapshot: The snapshot to serve first.
    ///   - group: Event loops to use; by default one per core (or `eventLoops` from the config).
    ///   - logger: Where connection-level problems are logged.
    ///   - resolver: Resolves backend host names for backends with `dns:` set.
    ///   - configPath: The file `snapshot` was loaded from: `POST /reload`, SIGHUP and `watch`
    ///     reload from it. Nil: the server cannot reload itself (``reloader`` is nil).
    ///   - listenOverride: The `--listen` address that replaces the file's `listen`.
    ///   - metrics: The registry `/metrics` renders (a new one by default).
    ///   - accessLogSink: Where access-log lines go (`logging.access`); standard output by default.
    public init(
        snapshot: GatewaySnapshot,
        group: MultiThreadedEventLoopGroup? = nil,
        logger: Logger,
        resolver: any HostResolver = SystemHostResolver(),
        configPath: String? = nil,
        listenOverride: GatewayConfig.HostPort? = nil,
        metrics: PrometheusCollectorRegistry = PrometheusCollectorRegistry(),
        accessLogSink: any AccessLogSink = StandardOutputSink()
    ) {
        self.initialSnapshot = snapshot
        self.logger = logger
        self.configPath = configPath
        self.listenOverride = listenOverride
        self.metrics = metrics
        self.operations = OperationsMetrics(registry: metrics)
        self.reflector = SchemaReflector(metrics: ReflectionMetrics(registry: metrics))
        let gatewayMetrics = GatewayMetrics(registry: metrics)
        let accessLog = AccessLogWriter(sink: accessLogSink, dropped: gatewayMetrics.accessLogDropped)
        self.accessLog = accessLog
        if let group {
            self.group = group
            self.ownsGroup = false
        } else {
            self.group = MultiThreadedEventLoopGroup(numberOfThreads: snapshot.config.eventLoops ?? System.coreCount)
            self.ownsGroup = true
        }
        let eventLoops = Array(self.group.makeIterator())
        self.loops = eventLoops.enumerated().map {
            GatewayLoop(
                index: $0.offset,
                eventLoop: $0.element,
                logger: logger,
                telemetry: LoopTelemetry(metrics: gatewayMetrics, accessLog: accessLog)
            )
        }
        self.loopIndex = Dictionary(
            uniqueKeysWithValues: eventLoops.enumerated().map { (ObjectIdentifier($0.element), $0.offset) }
        )
        self.installer = SnapshotInstaller(loops: loops, resolver: resolver, logger: logger, metrics: gatewayMetrics)
    }

    /// The snapshot new requests use (the last installed; the initial one before ``start(listen:)``).
    public var snapshot: GatewaySnapshot {
        installer.installed.withLock { $0 } ?? initialSnapshot
    }

    /// Installs the initial snapshot, binds the listener from the configuration (or `listen`, when
    /// given) and starts serving.
    /// - Returns: the bound address (useful with port 0).
    @discardableResult
    public func start(listen: GatewayConfig.HostPort? = nil) async throws -> SocketAddress {
        GatewayLogHandler.format = initialSnapshot.config.logging.format
        await installer.install(initialSnapshot)
        reflector.follow(initialSnapshot, of: self)
        let address = listen ?? initialSnapshot.config.listen
        let loops = self.loops
        let loopIndex = self.loopIndex
        @Sendable func gatewayLoop(of channel: any Channel) throws -> GatewayLoop {
            guard let index = loopIndex[ObjectIdentifier(channel.eventLoop)] else {
                throw ChannelError.inappropriateOperationForState
            }
            return loops[index]
        }
        let webSocketUpgrader = NIOWebSocketServerUpgrader(
            maxFrameSize: initialSnapshot.config.streaming.maxMessageBytes,
            automaticErrorHandling: true,
            shouldUpgrade: { channel, head in
                // A refused upgrade reaches the HTTP handler, which answers with the reason.
                guard let loop = try? gatewayLoop(of: channel),
                    case .success(var request) = WebSocketRouting.match(head, live: loop.current)
                else {
                    return channel.eventLoop.makeSucceededFuture(nil)
                }
                // Credentials and rate limit, once per handshake: a refusal is answered by the
                // HTTP handler, a pass travels to the session.
                let peer = channel.remoteAddress?.ipAddress
                @Sendable func grant(
                    _ result: Result<RouteAdmission.Admitted, GatewayError>?,
                    plan: RoutePlan
                ) -> HTTPHeaders? {
                    switch result {
                    case .failure(let refusal):
                        loop.admitted(.failure(refusal), handshakeOn: channel)
                        return nil
                    case .success(let admitted):
                        loop.admitted(.success(admitted), handshakeOn: channel)
                    case nil:
                        break
                    }
                    var headers = HTTPHeaders()
                    if loop.current.snapshot.config.logging.access {
                        headers.add(name: "X-Request-Id", value: loop.telemetry.handshakeID(head, for: channel))
                    }
                    if plan.cors != nil { loop.addHandshakeCORS(head, plan: plan, to: &headers) }
                    return headers
                }
                let plan = request.plan
                switch request.admit(head, query: head.pathAndQuery.query, peer: peer, on: channel.eventLoop) {
                case .admitted:
                    return channel.eventLoop.makeSucceededFuture(
                        grant(request.admitted.map { .success($0) }, plan: plan)
                    )
                case .refused(let refusal):
                    return channel.eventLoop.makeSucceededFuture(grant(.failure(refusal), plan: plan))
                case .pending(let outcome):
                    // A token not seen before: the handshake waits for its verification.
                    return outcome.map { grant($0, plan: plan) }
                }
            },
            upgradePipelineHandler: { channel, head in
                channel.eventLoop.makeCompletedFuture {
                    let loop = try gatewayLoop(of: channel)
                    let live = loop.current
                    guard case .success(var request) = WebSocketRouting.match(head, live: live) else {
                        throw ChannelError.inappropriateOperationForState
                    }
                    if case .success(let admitted) = loop.takeAdmission(handshakeOn: channel) {
                        request.admitted = admitted
                    }
                    let limit = live.snapshot.config.streaming.maxMessageBytes
                    try channel.pipeline.syncOperations.addHandlers(
                        NIOWebSocketFrameAggregator(
                            minNonFinalFragmentSize: 1,
                            maxAccumulatedFrameCount: 1 << 16,
                            maxAccumulatedFrameSize: limit
                        ),
                        WebSocketCallHandler(
                            loop: loop,
                            request: request,
                            head: head,
                            requestID: loop.telemetry.takeHandshakeID(for: channel)
                        )
                    )
                }
            }
        )
        let bufferBytes = initialSnapshot.config.streaming.bufferBytes
        let bootstrap = ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: 1024)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.tcpOption(.tcp_nodelay), value: 1)
            .childChannelOption(.maxMessagesPerRead, value: 16)
            .childChannelOption(
                .writeBufferWaterMark,
                value: ChannelOptions.Types.WriteBufferWaterMark(low: bufferBytes / 2, high: bufferBytes)
            )
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    let loop = try gatewayLoop(of: channel)
                    let sync = channel.pipeline.syncOperations
                    if let tls = loop.current.snapshot.listenerTLS {
                        // First in line: everything after it, WebSocket upgrades included, sees plaintext.
                        try sync.addHandler(NIOSSLServerHandler(context: tls))
                    }
                    try sync.configureHTTPServerPipeline(
                        withPipeliningAssistance: false,
                        withServerUpgrade: (
                            upgraders: [webSocketUpgrader],
                            completionHandler: { context in
                                // The HTTP handler leaves before the WebSocket handlers arrive.
                                if let handler = try? context.pipeline.syncOperations.handler(
                                    type: HTTPConnectionHandler.self
                                ) {
                                    context.pipeline.syncOperations.removeHandler(handler, promise: nil)
                                }
                            }
                        ),
                        // HTTPConnectionHandler answers parse errors itself, with a JSON body,
                        // after the responses already due (NIO's handler sends an empty 400, at once).
                        withErrorHandling: false
                    )
                    try sync.addHandler(HTTPConnectionHandler(loop: loop))
                }
            }
        let channel = try await bootstrap.bind(host: address.host, port: address.port).get()
        self.channel.withLockedValue { $0 = channel }
        operations.configurationLoaded()
        if let admin = initialSnapshot.config.admin {
            let adminChannel = try await AdminServer.bind(
                admin.listen,
                group: group,
                endpoints: AdminEndpoints(server: self)
            )
            self.adminChannel.withLockedValue { $0 = adminChannel }
        }
        if let reloader {
            let watch = ConfigWatcher(reloader: reloader)
            watcher.withLockedValue { $0 = Task { await watch.run() } }
        }
        guard let local = channel.localAddress else { throw ChannelError.unknownLocalAddress }
        return local
    }

    /// Reloads from ``configPath``; nil when the server was not started from a file.
    public var reloader: ConfigReloader? {
        configPath.map { ConfigReloader(server: self, configPath: $0, listenOverride: listenOverride) }
    }

    /// The admin listener's bound port, once started with `admin:` set.
    public var adminPort: Int? {
        adminChannel.withLockedValue { $0?.localAddress?.port }
    }

    /// Whether ``drain(gracePeriod:)`` has begun (readiness is then 503 for good).
    public var isDraining: Bool {
        draining.load(ordering: .relaxed)
    }

    /// Marks the server as draining: readiness turns 503 at once (the drain itself follows).
    public func markDraining() {
        draining.store(true, ordering: .relaxed)
    }

    /// Swaps `snapshot` in on every event loop: new requests use it, requests in flight finish on
    /// the one they started with. Backends whose definition did not change keep their
    /// connections; the others' are closed once their calls finish. The listener's address and
    /// the event loops stay as they are (a change of `listen` or `eventLoops` needs a restart).
    public func install(_ snapshot: GatewaySnapshot) async {
        GatewayLogHandler.format = snapshot.config.logging.format
        await installer.install(snapshot)
        reflector.follow(snapshot, of: self)
    }

    /// The bound port, once started.
    public var port: Int? {
        channel.withLockedValue { $0?.localAddress?.port }
    }

    /// Upstream connections opened so far, per event loop (for tests and `/metrics`).
    public func upstreamConnectionCounts() async throws -> [Int] {
        try await installer.connectionCounts()
    }

    /// Stops accepting, closes the admin listener, upstream connections and (if it created
    /// them) the event loops. Connections still open are cut; ``drain(gracePeriod:)`` first
    /// lets them finish.
    public func stop() async {
        await reflector.stop()
        let watcher = self.watcher.withLockedValue { $0.take() }
        watcher?.cancel()
        await watcher?.value
        let channel = self.channel.withLockedValue { $0.take() }
        try? await channel?.close()
        let admin = adminChannel.withLockedValue { $0.take() }
        try? await admin?.close()
        await installer.shutdown()
        accessLog.shutdown()
        if ownsGroup {
            try? await group.shutdownGracefully()
        }
    }
}
