/// What a cluster's monitor knows about its endpoints, published to every event loop (and to
/// readiness checks) as one immutable value: the endpoints DNS discovery found (or the configured
/// ones) and what active health checks say about each.
public struct ClusterView: Sendable, Equatable {
    /// One endpoint as the monitor sees it.
    public struct Endpoint: Sendable, Equatable {
        /// The address (with its resolved address when it came from DNS discovery).
        public var target: UpstreamTarget
        /// Whether the endpoint passes its health checks (always true without checks).
        public var isHealthy: Bool
        /// Why it is not healthy (the last failed check), when it is not.
        public var problem: String?

        /// Creates an endpoint entry.
        public init(target: UpstreamTarget, isHealthy: Bool = true, problem: String? = nil) {
            self.target = target
            self.isHealthy = isHealthy
            self.problem = problem
        }
    }

    /// The endpoints in rotation order.
    public var endpoints: [Endpoint]
    /// Increases with every change; event loops apply a view only when it is newer than theirs.
    public var generation: Int

    /// Creates a view.
    public init(endpoints: [Endpoint], generation: Int) {
        self.endpoints = endpoints
        self.generation = generation
    }
}
