import Logging
import NIOCore
import Upstream

/// One backend's endpoints on one event loop: picks the endpoint for each call, leaves out
/// endpoints whose connects keep failing (passive ejection) or whose health checks fail, moves
/// calls whose connect failed to another endpoint (they never reached a backend, so this is safe
/// for every call kind) and calls waiting for a stream to another connection. With `dns:` set,
/// host names are re-resolved and the endpoint list follows the answers
/// (see `BackendEndpoints+Discovery.swift`). Only touched on its loop.
final class BackendEndpoints: UpstreamCallRouter {
    /// The backend's name in `Gateway.yaml`.
    let name: String
    /// The endpoints in rotation order: one per configured endpoint, or per resolved address.
    var pools: [EndpointPool] = []
    /// Endpoints that left the DNS answer, kept until their calls finish.
    var retiring: [EndpointPool] = []
    let backend: GatewayConfig.Backend
    let eventLoop: any EventLoop
    let resolver: any HostResolver
    let logger: Logger
    private let makeClient: (UpstreamTarget) -> UpstreamClient
    private let ejection: TimeAmount
    private let maxEjection: TimeAmount
    /// Active health checks, when configured.
    private var prober: HealthProber?
    /// The next DNS refresh, when `dns:` is set.
    var nextRefresh: Scheduled<Void>?
    var isStopped = false
    private var next = 0

    /// Creates the endpoints (connections open on first use) and starts health checks and DNS
    /// refreshes as configured.
    /// - Parameter makeClient: Makes a client for an endpoint with the backend's configuration.
    init(
        name: String,
        backend: GatewayConfig.Backend,
        eventLoop: any EventLoop,
        resolver: any HostResolver,
        logger: Logger,
        makeClient: @escaping (UpstreamTarget) -> UpstreamClient
    ) {
        self.name = name
        self.backend = backend
        self.eventLoop = eventLoop
        self.resolver = resolver
        self.logger = logger
        self.makeClient = makeClient
        self.ejection = .milliseconds(backend.ejectionMilliseconds)
        self.maxEjection = .milliseconds(backend.maxEjectionMilliseconds)
        // Until the first DNS answer, a name is one endpoint connected by name.
        self.pools = backend.endpoints.enumerated().map { origin, endpoint in
            makePool(for: endpoint, origin: origin)
        }
        if let settings = backend.healthCheck {
            let prober = HealthProber(settings: settings) { [unowned self] in self.pools }
            self.prober = prober
            prober.start(on: eventLoop)
        }
        startDiscovery()
    }

    /// Stops health checks and DNS refreshes.
    func stop() {
        isStopped = true
        prober?.stop()
        nextRefresh?.cancel()
    }

    /// Every endpoint, current and retiring.
    var allPools: [EndpointPool] { pools + retiring }

    /// A pool for `target` whose clients route through this object.
    func makePool(for target: UpstreamTarget, origin: Int) -> EndpointPool {
        EndpointPool(target: target, origin: origin, maxConnections: backend.maxConnectionsPerEndpoint) { [unowned self] target in
            let client = self.makeClient(target)
            client.router = self
            return client
        }
    }

    // MARK: Picking

    /// Whether `pool` may take new calls: not failed by active checks, not ejected.
    private func isInRotation(_ pool: EndpointPool, now: NIODeadline) -> Bool {
        pool.health.isHealthy && !isEjected(pool, now: now)
    }

    /// The client for a new call: on a healthy endpoint by the balancing policy, or, when every
    /// endpoint is out, on one anyway (it may have recovered; failing fast helps nobody).
    func pick() -> UpstreamClient? {
        if pools.count == 1 { return pools[0].pick() }
        let now = NIODeadline.now()
        return (choose { self.isInRotation($0, now: now) } ?? choose { _ in true })?.pick()
    }

    /// Whether `pool` is left out of rotation right now after failed connects.
    func isEjected(_ pool: EndpointPool, now: NIODeadline = .now()) -> Bool {
        let failures = pool.primary.consecutiveConnectFailures
        guard failures >= backend.ejectAfterFailures, let last = pool.primary.lastConnectFailure else { return false }
        // time, 2×time, 4×time... per further failure, up to maxTime.
        let doublings = min(failures - backend.ejectAfterFailures, 20)
        let span = min(ejection.nanoseconds << doublings, maxEjection.nanoseconds)
        return now < last + .nanoseconds(span)
    }

    /// The endpoint the policy prefers among those `eligible` accepts, starting the rotation at
    /// `next` so round-robin and ties take endpoints in turn; advances the rotation.
    private func choose(_ eligible: (EndpointPool) -> Bool) -> EndpointPool? {
        var chosen: Int?
        for k in 0..<pools.count {
            let index = (next + k) % pools.count
            guard eligible(pools[index]) else { continue }
            if backend.balancing == .roundRobin {
                chosen = index
                break
            }
            if chosen.map({ pools[index].outstandingCalls < pools[$0].outstandingCalls }) ?? true {
                chosen = index
            }
        }
        guard let chosen else { return nil }
        next = (chosen + 1) % pools.count
        return pools[chosen]
    }

    // MARK: UpstreamCallRouter

    func upstreamClient(_ client: UpstreamClient, couldNotConnectFor call: UpstreamCall) -> Bool {
        // Each endpoint gets at most one try per call.
        guard call.failedConnectAttempts < pools.count else { return false }
        let now = NIODeadline.now()
        let other =
            choose { !$0.contains(client) && self.isInRotation($0, now: now) } ?? choose { !$0.contains(client) }
        guard let other else { return false }
        other.pick().adopt(call)
        return true
    }

    func upstreamClientRanOutOfStreams(_ client: UpstreamClient) {
        allPools.first { $0.contains(client) }?.relieve(client)
    }
}

@available(*, unavailable)
extension BackendEndpoints: Sendable {}
