public import Logging
import NIOConcurrencyHelpers
public import NIOCore
import NIOHTTP1
public import NIOPosix

/// The HTTP/1.1 front end: a NIO server whose every event loop owns its own upstream
/// connections (Envoy's per-worker model). A request is handled from end to end on the loop
/// that accepted its connection.
public final class GatewayServer: Sendable {
    /// The immutable configuration requests read.
    public let snapshot: GatewaySnapshot
    private let group: MultiThreadedEventLoopGroup
    private let ownsGroup: Bool
    private let logger: Logger
    /// Each loop's upstream clients, created on that loop when its first connection arrives.
    private let upstreams: [ObjectIdentifier: NIOLoopBoundBox<LoopUpstreams?>]
    private let channel: NIOLockedValueBox<(any Channel)?> = NIOLockedValueBox(nil)

    /// Creates a server; call ``start()`` to bind.
    /// - Parameters:
    ///   - snapshot: routes, descriptors and options.
    ///   - group: event loops to use; by default one per core (or `eventLoops` from the config).
    ///   - logger: where connection-level problems are logged.
    public init(snapshot: GatewaySnapshot, group: MultiThreadedEventLoopGroup? = nil, logger: Logger) {
        self.snapshot = snapshot
        self.logger = logger
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
                    guard let box = upstreams[ObjectIdentifier(channel.eventLoop)] else {
                        throw ChannelError.ioOnClosedChannel
                    }
                    let loopUpstreams: LoopUpstreams
                    if let existing = box.value {
                        loopUpstreams = existing
                    } else {
                        loopUpstreams = LoopUpstreams(
                            eventLoop: channel.eventLoop,
                            backends: snapshot.config.backends,
                            streaming: snapshot.config.streaming,
                            logger: logger
                        )
                        box.value = loopUpstreams
                    }
                    let sync = channel.pipeline.syncOperations
                    try sync.configureHTTPServerPipeline(withPipeliningAssistance: false, withErrorHandling: true)
                    try sync.addHandler(
                        HTTPRequestHandler(snapshot: snapshot, upstreams: loopUpstreams, logger: logger)
                    )
                }
            }
        let channel = try await bootstrap.bind(host: address.host, port: address.port).get()
        self.channel.withLockedValue { $0 = channel }
        guard let local = channel.localAddress else { throw ChannelError.unknownLocalAddress }
        return local
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
