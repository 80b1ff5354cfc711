import NIOCore

/// Whether a cluster's endpoints are in rotation, process-wide: what a readiness probe asks.
///
/// Health checks are process-wide already (the published ``ClusterView``); passive ejection is
/// per event loop. An endpoint counts as out of rotation when its health checks fail it, or when
/// some loop ejects it after failed connects and no loop's last connect to it succeeded. An
/// endpoint nobody has called yet, of a backend without health checks, counts as in rotation:
/// nothing says it is down (the Envoy model: a host is healthy until a check or an outlier
/// detector says otherwise).
extension Cluster {
    /// One endpoint's rotation state.
    public struct EndpointRotation: Sendable, Equatable {
        /// The endpoint.
        public var target: UpstreamTarget
        /// Whether new calls may go to it.
        public var isInRotation: Bool
        /// Why it is out, when it is (`health check failing: …`, `ejected after 2 failed connects`).
        public var problem: String?
    }

    /// Every endpoint of the published view with its rotation state, asking each loop that has a
    /// share about passive ejection.
    public func rotation() async -> [EndpointRotation] {
        let view = self.view
        var ejected: [UpstreamTarget: Int] = [:]
        var reachable: Set<UpstreamTarget> = []
        for index in eventLoops.indices {
            let loop = eventLoops[index]
            let states = try? await loop.submit { [self] () -> [(UpstreamTarget, ejectedFor: Int?, reached: Bool)] in
                guard let share = self.existingShare(on: index) else { return [] }
                let now = loop.now
                return share.pools.map { pool in
                    let primary = pool.primary
                    let ejectedFor = share.isEjected(pool, now: now) ? primary.consecutiveConnectFailures : nil
                    return (
                        pool.target, ejectedFor, primary.consecutiveConnectFailures == 0 && primary.connectionCount > 0
                    )
                }
            }.get()
            for (target, ejectedFor, reached) in states ?? [] {
                if let ejectedFor { ejected[target] = max(ejected[target] ?? 0, ejectedFor) }
                if reached { reachable.insert(target) }
            }
        }
        return view.endpoints.map { endpoint in
            if !endpoint.isHealthy {
                return EndpointRotation(
                    target: endpoint.target,
                    isInRotation: false,
                    problem: "health check failing: \(endpoint.problem ?? "unhealthy")"
                )
            }
            if let failures = ejected[endpoint.target], !reachable.contains(endpoint.target) {
                return EndpointRotation(
                    target: endpoint.target,
                    isInRotation: false,
                    problem: "ejected after \(failures) failed connects"
                )
            }
            return EndpointRotation(target: endpoint.target, isInRotation: true, problem: nil)
        }
    }
}
