import Logging
import NIOCore
import Upstream

/// The upstream clients owned by one event loop: per backend, a pool of ``UpstreamClient``s (one
/// per HTTP/2 connection) per endpoint, balanced by ``BackendEndpoints``. Only touched on its own loop, so a
/// request never leaves the loop that accepted it and no locks are needed (the per-backend
/// ``ConcurrencyLimit``s, shared by every loop, are atomics).
final class LoopUpstreams {
    private let eventLoop: any EventLoop
    private var backends: [String: BackendEndpoints] = [:]
    /// `backends.<name>.maxConcurrentRequests`, shared across loops.
    let limits: [String: ConcurrencyLimit]

    init(
        eventLoop: any EventLoop,
        backends: [String: GatewayConfig.Backend],
        limits: [String: ConcurrencyLimit],
        streaming: GatewayConfig.StreamingSettings,
        resolver: any HostResolver,
        logger: Logger
    ) {
        self.eventLoop = eventLoop
        self.limits = limits
        for (name, backend) in backends {
            var configuration = UpstreamConfiguration.defaults
            configuration.connectTimeout = .seconds(2)
            // No fail-fast window after a failed connect: each request that finds an endpoint
            // down tries again (attempts are coalesced per loop), so the first request after a
            // backend restart succeeds. With several endpoints, passive ejection in
            // BackendEndpoints keeps calls away from one that keeps failing.
            configuration.reconnectBackoffInitial = .zero
            configuration.reconnectBackoffMax = .zero
            // Per-stream bounds: what a paused stream may hold from the backend, and what an
            // upload may queue for it, before backpressure kicks in.
            configuration.sendBufferHighWatermark = streaming.bufferBytes
            configuration.sendBufferLowWatermark = streaming.bufferBytes / 4
            configuration.compressRequests = backend.compressRequests
            configuration.maxResponseMetadataBytes = backend.maxResponseMetadataBytes
            configuration.keepaliveInterval = backend.keepaliveIntervalMilliseconds.map { .milliseconds($0) }
            configuration.keepaliveTimeout = .milliseconds(backend.keepaliveTimeoutMilliseconds)
            configuration.idleTimeout = backend.idleTimeoutMilliseconds.map { .milliseconds($0) }
            configuration.tls = backend.tls?.upstream
            self.backends[name] = BackendEndpoints(
                name: name,
                backend: backend,
                eventLoop: eventLoop,
                resolver: resolver,
                logger: logger
            ) { target in
                UpstreamClient(target: target, eventLoop: eventLoop, configuration: configuration, logger: logger)
            }
        }
    }

    /// The client for `backend`'s next call (by its balancing policy, healthy endpoints first).
    func client(for backend: String) -> UpstreamClient? {
        backends[backend]?.pick()
    }

    /// Connections opened so far across every backend of this loop.
    var connectionCount: Int {
        backends.values.reduce(0) { $0 + $1.allPools.reduce(0) { $0 + $1.connectionCount } }
    }

    /// Closes every upstream connection of this loop.
    func close() -> EventLoopFuture<Void> {
        for endpoints in backends.values { endpoints.stop() }
        let futures = backends.values.flatMap { $0.allPools.flatMap { $0.close() } }
        return EventLoopFuture.andAllComplete(futures, on: eventLoop)
    }
}

@available(*, unavailable)
extension LoopUpstreams: Sendable {}
