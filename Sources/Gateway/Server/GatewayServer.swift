public import Logging
import NIOConcurrencyHelpers
public import NIOCore
import NIOHTTP1
public import NIOPosix
import NIOSSL
import NIOWebSocket

/// The HTTP/1.1 front end: a NIO server whose every event loop owns its own upstream
/// connections (Envoy's per-worker model). A request is handled from end to end on the loop
/// that accepted its connection.
public final class GatewayServer: Sendable {
    /// The immutable configuration requests read.
    public let snapshot: GatewaySnapshot
    private let group: MultiThreadedEventLoopGroup
    private let ownsGroup: Bool
    private let logger: Logger
    /// Each loop's upstream clients, created on that loop when the server starts.
    private let upstreams: [ObjectIdentifier: NIOLoopBoundBox<LoopUpstreams?>]
    private let channel: NIOLockedValueBox<(any Channel)?> = NIOLockedValueBox(nil)
    private let resolver: any HostResolver

    /// Creates a server; call ``start()`` to bind.
    /// - Parameters:
    ///   - snapshot: routes, descriptors and options.
    ///   - group: event loops to use; by default one per core (or `eventLoops` from the config).
    ///   - logger: where connection-level problems are logged.
    ///   - resolver: resolves backend host names for backends with `dns:` set.
    public init(
        snapshot: GatewaySnapshot,
        group: MultiThreadedEventLoopGroup? = nil,
        logger: Logger,
        resolver: any HostResolver = SystemHostResolver()
    ) {
        self.snapshot = snapshot
        self.logger = logger
        self.resolver = resolver
        if let group {
            self.group = group
            self.ownsGroup = false
        } else {
            self.group = MultiThreadedEventLoopGroup(numberOfThreads: snapshot.config.eventLoops ?? System.coreCount)
            self.ownsGroup = true
        }
        var upstreams: [ObjectIdentifier: NIOLoopBoundBox<LoopUpstreams?>] = [:]
        for loop in self.group.makeIterator() {
            upstreams[ObjectIdentifier(loop)] = .makeEmptyBox(valueType: LoopUpstreams.self, eventLoop: loop)
        }
        self.upstreams = upstreams
    }

    /// Binds the listener from the configuration (or `listen`, when given) and starts serving.
    /// - Returns: the bound address (useful with port 0).
    @discardableResult
    public func start(listen: GatewayConfig.HostPort? = nil) async throws -> SocketAddress {
        let address = listen ?? snapshot.config.listen
        let snapshot = self.snapshot
        let upstreams = self.upstreams
        let logger = self.logger
        let resolver = self.resolver
        let webSocketUpgrader = NIOWebSocketServerUpgrader(
            maxFrameSize: snapshot.config.streaming.maxMessageBytes,
            automaticErrorHandling: true,
            shouldUpgrade: { channel, head in
                // A refused upgrade reaches HTTPRequestHandler, which answers with the reason.
                guard case .success = WebSocketRouting.match(head, snapshot: snapshot) else {
                    return channel.eventLoop.makeSucceededFuture(nil)
                }
                return channel.eventLoop.makeSucceededFuture(HTTPHeaders())
            },
            upgradePipelineHandler: { channel, head in
                channel.eventLoop.makeCompletedFuture {
                    guard case .success(let match) = WebSocketRouting.match(head, snapshot: snapshot) else {
                        throw ChannelError.inappropriateOperationForState
                    }
                    let loopUpstreams = try Self.loopUpstreams(on: channel.eventLoop, boxes: upstreams)
                    let limit = snapshot.config.streaming.maxMessageBytes
                    try channel.pipeline.syncOperations.addHandlers(
                        NIOWebSocketFrameAggregator(minNonFinalFragmentSize: 1, maxAccumulatedFrameCount: 1 << 16, maxAccumulatedFrameSize: limit),
                        WebSocketCallHandler(snapshot: snapshot, upstreams: loopUpstreams, match: match, head: head, logger: logger)
                    )
                }
            }
        )
        let bootstrap = ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: 1024)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
            .childChannelOption(.maxMessagesPerRead, value: 16)
            .childChannelOption(
                .writeBufferWaterMark,
                value: ChannelOptions.Types.WriteBufferWaterMark(
                    low: snapshot.config.streaming.bufferBytes / 2,
                    high: snapshot.config.streaming.bufferBytes
                )
            )
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    let loopUpstreams = try Self.loopUpstreams(on: channel.eventLoop, boxes: upstreams)
                    let sync = channel.pipeline.syncOperations
                    if let tls = snapshot.config.tls?.context {
                        // First in line: everything after it, WebSocket upgrades included, sees plaintext.
                        try sync.addHandler(NIOSSLServerHandler(context: tls))
                    }
                    try sync.configureHTTPServerPipeline(
                        withPipeliningAssistance: false,
                        withServerUpgrade: (
                            upgraders: [webSocketUpgrader],
                            completionHandler: { context in
                                // The HTTP request handler leaves before the WebSocket handlers arrive.
                                if let handler = try? context.pipeline.syncOperations.handler(type: HTTPRequestHandler.self) {
                                    context.pipeline.syncOperations.removeHandler(handler, promise: nil)
                                }
                            }
                        ),
                        // HTTPRequestHandler answers parse errors itself, with a JSON body, after
                        // the responses already due (NIO's handler sends an empty 400, at once).
                        withErrorHandling: false
                    )
                    try sync.addHandler(
                        HTTPRequestHandler(snapshot: snapshot, upstreams: loopUpstreams, logger: logger)
                    )
                }
            }
        // Each loop's upstreams start now, so DNS discovery and health checks run before the
        // first request.
        for (_, box) in upstreams {
            let loop = box.eventLoop
            try await loop.submit {
                guard box.value == nil else { return }
                box.value = LoopUpstreams(
                    eventLoop: loop,
                    backends: snapshot.config.backends,
                    limits: snapshot.concurrencyLimits,
                    streaming: snapshot.config.streaming,
                    resolver: resolver,
                    logger: logger
                )
            }.get()
        }
        let channel = try await bootstrap.bind(host: address.host, port: address.port).get()
        self.channel.withLockedValue { $0 = channel }
        guard let local = channel.localAddress else { throw ChannelError.unknownLocalAddress }
        return local
    }

    /// The upstream clients of `eventLoop`, created there when the server starts.
    private static func loopUpstreams(
        on eventLoop: any EventLoop,
        boxes: [ObjectIdentifier: NIOLoopBoundBox<LoopUpstreams?>]
    ) throws -> LoopUpstreams {
        guard let upstreams = boxes[ObjectIdentifier(eventLoop)]?.value else { throw ChannelError.ioOnClosedChannel }
        return upstreams
    }

    /// The bound port, once started.
    public var port: Int? {
        channel.withLockedValue { $0?.localAddress?.port }
    }

    /// Upstream connections opened so far, per event loop (for tests and `/metrics`).
    public func upstreamConnectionCounts() async throws -> [Int] {
        var counts: [Int] = []
        for (_, box) in upstreams {
            let loop = box.eventLoop
            counts.append(try await loop.submit { box.value?.connectionCount ?? 0 }.get())
        }
        return counts
    }

    /// Stops accepting, closes upstream connections and (if it created them) the event loops.
    public func stop() async {
        let channel = self.channel.withLockedValue { value in
            defer { value = nil }
            return value
        }
        try? await channel?.close()
        for (_, box) in upstreams {
            let loop = box.eventLoop
            try? await loop.flatSubmit { box.value?.close() ?? loop.makeSucceededVoidFuture() }.get()
        }
        if ownsGroup {
            try? await group.shutdownGracefully()
        }
    }
}
