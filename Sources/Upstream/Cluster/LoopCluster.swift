import Logging
public import NIOCore

/// One cluster's endpoints on one event loop: picks the endpoint for each call, leaves out
/// endpoints whose health checks fail (from the cluster's published ``ClusterView``) or whose
/// connects keep failing on this loop (passive ejection), moves calls whose connect failed to
/// another endpoint (they never reached a backend, so this is safe for every call kind) and calls
/// waiting for a stream to another connection. Only touched on its loop; get it from
/// ``Cluster/onLoop(_:)``.
public final class LoopCluster: UpstreamCallRouter {
    /// The cluster this loop's share belongs to.
    public unowned let cluster: Cluster
    /// The loop every method runs on.
    public let eventLoop: any EventLoop
    /// The endpoints in rotation order: one per configured endpoint, or per resolved address.
    private(set) var pools: [EndpointPool] = []
    /// Endpoints that left the published view, kept until their calls finish.
    private(set) var retiring: [EndpointPool] = []
    /// The view the pools follow.
    private var generation = -1
    private let configuration: ClusterConfiguration
    private let logger: Logger
    private var next = 0
    private var isClosed = false
    /// The pending sweep of retiring endpoints, while there are any.
    private var retiringSweep: Scheduled<Void>?

    init(cluster: Cluster, eventLoop: any EventLoop, view: ClusterView, logger: Logger) {
        self.cluster = cluster
        self.eventLoop = eventLoop
        self.configuration = cluster.configuration
        self.logger = logger
        self.apply(view)
    }

    // MARK: Calls

    /// Makes a call to the cluster's next endpoint (by its balancing policy, endpoints in rotation
    /// first), not started yet: start it with ``UpstreamCall/start(delegate:)``. Takes a slot of
    /// the cluster's concurrency limit, given back when the call finishes.
    /// - Parameters:
    ///   - path: The gRPC method path, e.g. `/demo.user.v1.UserService/GetUser`.
    ///   - metadata: Request metadata (see ``UpstreamClient/makeCall(path:metadata:timeout:onFinish:)``).
    ///   - timeout: The call's deadline from now, if any.
    /// - Throws: ``ClusterError`` when the cluster is at its concurrency limit or shut down.
    public func makeCall(
        path: String,
        metadata: [(name: String, value: String)],
        timeout: TimeAmount?
    ) throws(ClusterError) -> UpstreamCall {
        guard !isClosed, let client = pick() else {
            throw ClusterError(code: .shutDown, message: "backend \(configuration.name) is shut down")
        }
        guard let limit = cluster.concurrencyLimit else {
            return client.makeCall(path: path, metadata: metadata, timeout: timeout)
        }
        guard limit.acquire() else {
            throw ClusterError(
                code: .overloaded,
                message: "backend \(configuration.name) is at its limit of \(limit.limit) concurrent requests"
            )
        }
        return client.makeCall(path: path, metadata: metadata, timeout: timeout, onFinish: { limit.release() })
    }

    /// The client for a new call: on an endpoint in rotation by the balancing policy, or, when
    /// every endpoint is out, on one anyway (it may have recovered; failing fast helps nobody).
    func pick() -> UpstreamClient? {
        if pools.count == 1 { return pools[0].pick() }
        let now = eventLoop.now
        return (choose { self.isInRotation($0, now: now) } ?? choose { _ in true })?.pick()
    }

    /// Whether `pool` may take new calls: healthy by the last checks and not ejected.
    private func isInRotation(_ pool: EndpointPool, now: NIODeadline) -> Bool {
        pool.isHealthy && !isEjected(pool, now: now)
    }

    /// Whether `pool` is left out of rotation right now after failed connects on this loop.
    func isEjected(_ pool: EndpointPool, now: NIODeadline) -> Bool {
        let ejection = configuration.ejection
        let failures = pool.primary.consecutiveConnectFailures
        guard failures >= ejection.afterFailures, let last = pool.primary.lastConnectFailure else { return false }
        // time, 2×time, 4×time... per further failure, up to maxTime.
        let doublings = min(failures - ejection.afterFailures, 20)
        let span = min(ejection.time.nanoseconds << doublings, ejection.maxTime.nanoseconds)
        return now < last + .nanoseconds(span)
    }

    /// The endpoint the policy prefers among those `eligible` accepts, starting the rotation at
    /// `next` so round-robin and ties take endpoints in turn; advances the rotation.
    private func choose(_ eligible: (EndpointPool) -> Bool) -> EndpointPool? {
        var chosen: Int?
        for k in 0..<pools.count {
            let index = (next + k) % pools.count
            guard eligible(pools[index]) else { continue }
            if configuration.balancing == .roundRobin {
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

    /// Moves `call` to another endpoint's pool (each endpoint is tried at most once per call);
    /// false when none is left.
    public func upstreamClient(_ client: UpstreamClient, couldNotConnectFor call: UpstreamCall) -> Bool {
        // Each endpoint gets at most one try per call.
        guard call.failedConnectAttempts < pools.count else { return false }
        let now = eventLoop.now
        let other =
            choose { !$0.contains(client) && self.isInRotation($0, now: now) } ?? choose { !$0.contains(client) }
        guard let other else { return false }
        client.observer?.callRetried(.connectFailed)
        other.pick().adopt(call)
        return true
    }

    /// Lets the pool holding `client` open another connection for the calls its peer's stream limit
    /// holds back.
    public func upstreamClientRanOutOfStreams(_ client: UpstreamClient) {
        (pools + retiring).first { $0.contains(client) }?.relieve(client)
    }

    // MARK: Following the view

    /// Makes the pools follow `view`: endpoints that stay keep their connections, new ones join
    /// the rotation, those that left take no new calls and close once their calls finish; health
    /// flags are copied.
    func apply(_ view: ClusterView) {
        guard view.generation > generation, !isClosed else { return }
        generation = view.generation
        var kept: [EndpointPool] = []
        for endpoint in view.endpoints {
            let pool = pools.first { $0.target == endpoint.target } ?? makePool(for: endpoint.target)
            pool.isHealthy = endpoint.isHealthy
            kept.append(pool)
        }
        for pool in pools where !kept.contains(where: { $0 === pool }) {
            retiring.append(pool)
        }
        pools = kept
        next = pools.isEmpty ? 0 : next % pools.count
        closeIdleRetired()
    }

    /// Closes the retired endpoints that have no call left; looks again every second while some
    /// still have calls (a long chat keeps its endpoint until it ends).
    private func closeIdleRetired() {
        retiring.removeAll { pool in
            guard pool.outstandingCalls == 0 else { return false }
            _ = pool.close()
            return true
        }
        guard !retiring.isEmpty, retiringSweep == nil else { return }
        retiringSweep = eventLoop.assumeIsolated().scheduleTask(in: .seconds(1)) { [self] in
            self.retiringSweep = nil
            self.closeIdleRetired()
        }
    }

    private func makePool(for target: UpstreamTarget) -> EndpointPool {
        EndpointPool(target: target, maxConnections: configuration.maxConnectionsPerEndpoint) { [unowned self] target in
            let client = UpstreamClient(
                target: target,
                eventLoop: self.eventLoop,
                configuration: self.configuration.connection,
                logger: self.logger,
                random: SystemRandomNumberGenerator(),
                openChannel: self.cluster.openChannel
            )
            client.router = self
            client.observer = self.cluster.observer?.endpoint(target)
            return client
        }
    }

    // MARK: Lifecycle

    /// Connections opened so far across every endpoint of this loop.
    public var connectionCount: Int {
        (pools + retiring).reduce(0) { $0 + $1.connectionCount }
    }

    /// Calls waiting or in flight on this loop.
    public var outstandingCalls: Int {
        (pools + retiring).reduce(0) { $0 + $1.outstandingCalls }
    }

    /// Closes every connection of this loop (their calls fail `UNAVAILABLE`) and refuses new calls.
    func close() -> EventLoopFuture<Void> {
        isClosed = true
        retiringSweep?.cancel()
        retiringSweep = nil
        let futures = (pools + retiring).flatMap { $0.close() }
        retiring.removeAll()
        return EventLoopFuture.andAllComplete(futures, on: eventLoop)
    }
}

@available(*, unavailable)
extension LoopCluster: Sendable {}

/// A call a cluster refused to make.
public struct ClusterError: Error, Sendable, CustomStringConvertible {
    /// Why.
    public struct Code: Hashable, Sendable {
        private enum Wrapped: Hashable, Sendable { case overloaded, shutDown }
        private let wrapped: Wrapped
        private init(_ wrapped: Wrapped) { self.wrapped = wrapped }
        /// The cluster is at ``ClusterConfiguration/maxConcurrentRequests``.
        public static let overloaded = Code(.overloaded)
        /// The cluster was shut down (a reload removed its backend, or the process is stopping).
        public static let shutDown = Code(.shutDown)
    }

    /// Why.
    public var code: Code
    /// A sentence for the client.
    public var message: String

    /// A one-line account, for logs and error bodies.
    public var description: String { message }
}
