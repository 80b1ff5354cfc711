public import Logging
public import NIOCore
import Synchronization

/// One backend as a whole: its endpoints on every event loop, the concurrency limit and retry
/// throttle those loops share, and — once per process — the monitor that resolves DNS names and
/// runs health checks, publishing the result as a ``ClusterView`` every loop follows.
///
/// ```swift
/// let cluster = Cluster(configuration: config, eventLoops: Array(group.makeIterator()), logger: logger)
/// cluster.start()                                   // DNS discovery and health checks, if configured
/// // on event loop i, per request:
/// let call = try cluster.onLoop(i).makeCall(path: "/pkg.Service/Method", metadata: [], timeout: .seconds(5))
/// call.start(delegate: exchange)
/// // at the end:
/// await cluster.shutdown()
/// ```
///
/// Requests never leave their event loop: each loop has its own ``LoopCluster`` (its own
/// connections), created on first use there. Only the published view, the limit and the throttle
/// cross threads, and only as immutable values or atomics.
public final class Cluster: Sendable {
    /// What the cluster is.
    public let configuration: ClusterConfiguration
    /// `maxConcurrentRequests` across every loop, if set.
    public let concurrencyLimit: ConcurrencyLimit?
    /// The retry budget shared by every retry to this backend.
    public let retryThrottle: RetryThrottle
    /// Hears of endpoints, connections and transparent retries (metrics), if anyone listens.
    public let observer: (any ClusterObserver)?
    /// The loops, in the order ``onLoop(_:)`` indexes them.
    public let eventLoops: [any EventLoop]
    private let loops: [LoopConfined<LoopCluster?>]
    private let monitor: LoopConfined<ClusterMonitor?>
    private let published: Mutex<ClusterView>
    private let lifecycle = Mutex(Lifecycle.created)
    private let resolver: any HostResolver
    private let logger: Logger
    /// Opens every connection's channel instead of a socket (in-memory backends: `Fuzz/`); nil
    /// connects sockets.
    let openChannel: (@Sendable (UpstreamClient) -> EventLoopFuture<any Channel>)?

    private enum Lifecycle { case created, running, shutDown }

    /// Creates the cluster; nothing connects until a call is made, and DNS discovery and health
    /// checks begin with ``start()``.
    /// - Parameters:
    ///   - configuration: Endpoints and policies.
    ///   - eventLoops: Every loop that will make calls (one ``LoopCluster`` each); the first also
    ///     runs the monitor.
    ///   - resolver: Resolves host names when ``ClusterConfiguration/dnsRefreshInterval`` is set.
    ///   - logger: Receives endpoint changes and connection events.
    ///   - observer: Hears of endpoints, connections and transparent retries (metrics).
    public convenience init(
        configuration: ClusterConfiguration,
        eventLoops: [any EventLoop],
        resolver: any HostResolver = SystemHostResolver(),
        logger: Logger,
        observer: (any ClusterObserver)? = nil
    ) {
        self.init(
            configuration: configuration,
            eventLoops: eventLoops,
            resolver: resolver,
            logger: logger,
            observer: observer,
            openChannel: nil
        )
    }

    /// Creates the cluster with its connections' channels injected (see ``openChannel``).
    init(
        configuration: ClusterConfiguration,
        eventLoops: [any EventLoop],
        resolver: any HostResolver,
        logger: Logger,
        observer: (any ClusterObserver)?,
        openChannel: (@Sendable (UpstreamClient) -> EventLoopFuture<any Channel>)?
    ) {
        self.openChannel = openChannel
        precondition(!eventLoops.isEmpty, "a cluster needs at least one event loop")
        self.configuration = configuration
        self.concurrencyLimit = configuration.maxConcurrentRequests.map(ConcurrencyLimit.init(limit:))
        self.retryThrottle = RetryThrottle(budget: configuration.retryBudget)
        self.eventLoops = eventLoops
        self.loops = eventLoops.map { LoopConfined(nil, eventLoop: $0) }
        self.monitor = LoopConfined(nil, eventLoop: eventLoops[0])
        // Until the first DNS answer, a name is one endpoint, connected by name.
        self.published = Mutex(ClusterView(endpoints: configuration.endpoints.map { .init(target: $0) }, generation: 0))
        self.resolver = resolver
        self.logger = logger
        self.observer = observer
        observer?.published(published.withLock { $0 })
    }

    /// The cluster's share of event loop `index` (created there on first use). Call it only on
    /// `eventLoops[index]`.
    public func onLoop(_ index: Int) -> LoopCluster {
        let box = loops[index]
        if let existing = box.value { return existing }
        let created = LoopCluster(cluster: self, eventLoop: box.eventLoop, view: view, logger: logger)
        if lifecycle.withLock({ $0 == .shutDown }) { _ = created.close() }
        box.value = created
        return created
    }

    /// The share of event loop `index` if it was created; call it only on `eventLoops[index]`.
    func existingShare(on index: Int) -> LoopCluster? {
        loops[index].value
    }

    /// The endpoints and their health as last published.
    public var view: ClusterView {
        published.withLock { $0 }
    }

    /// Starts DNS discovery and health checks (when configured) on the first event loop.
    /// Idempotent.
    public func start() {
        let starting = lifecycle.withLock { state -> Bool in
            guard state == .created else { return false }
            state = .running
            return true
        }
        guard starting, configuration.healthCheck != nil || needsDiscovery else { return }
        let box = monitor
        let resolver = self.resolver
        let logger = self.logger
        box.eventLoop.execute { [self] in
            let monitor = ClusterMonitor(cluster: self, resolver: resolver, logger: logger)
            box.value = monitor
            monitor.start()
        }
    }

    /// Whether some endpoint is a host name to re-resolve.
    private var needsDiscovery: Bool {
        configuration.dnsRefreshInterval != nil && configuration.endpoints.contains(where: \.isHostName)
    }

    /// Stops the monitor and closes every connection of every loop; calls still running fail
    /// `UNAVAILABLE`, new ones are refused.
    public func shutdown() async {
        lifecycle.withLock { $0 = .shutDown }
        let monitorBox = monitor
        try? await monitorBox.eventLoop.flatSubmit {
            let closing = monitorBox.value?.stop() ?? monitorBox.eventLoop.makeSucceededVoidFuture()
            monitorBox.value = nil
            return closing
        }.get()
        for box in loops {
            try? await box.eventLoop.flatSubmit {
                box.value?.close() ?? box.eventLoop.makeSucceededVoidFuture()
            }.get()
        }
    }

    /// Connections opened so far by each loop's share (for tests and metrics).
    public func connectionCounts() async throws -> [Int] {
        var counts: [Int] = []
        for box in loops {
            counts.append(try await box.eventLoop.submit { box.value?.connectionCount ?? 0 }.get())
        }
        return counts
    }

    /// Calls waiting or in flight on every loop's share.
    public func outstandingCalls() async throws -> Int {
        var total = 0
        for box in loops {
            total += try await box.eventLoop.submit { box.value?.outstandingCalls ?? 0 }.get()
        }
        return total
    }

    /// Stores `view` and has every loop that has a share follow it (the monitor calls this).
    func publish(_ view: ClusterView) {
        published.withLock { $0 = view }
        observer?.published(view)
        for box in loops {
            box.eventLoop.execute { [self] in
                // The newest view, whichever publication this task belongs to.
                box.value?.apply(self.view)
            }
        }
    }
}

extension UpstreamTarget {
    /// Whether the host is a name to resolve (not an IP literal, not a unix socket).
    var isHostName: Bool {
        unixSocketPath == nil && (try? SocketAddress(ipAddress: host, port: port)) == nil
    }
}
