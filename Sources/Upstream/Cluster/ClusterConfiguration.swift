public import NIOCore

/// Everything a ``Cluster`` is: the endpoints of one backend and how calls are spread over them,
/// kept healthy and bounded. Plain data; the gateway builds it from `backends.<name>` in
/// `Gateway.yaml`.
public struct ClusterConfiguration: Sendable {
    /// The backend's name (for logs and errors).
    public var name: String
    /// Endpoints: `host:port` (a name is resolved at connect, or per ``dnsRefreshInterval``) or
    /// unix sockets.
    public var endpoints: [UpstreamTarget]
    /// How each event loop picks an endpoint for a call.
    public var balancing = Balancing.roundRobin
    /// Passive health: endpoints whose connects keep failing are left out for a while.
    public var ejection = Ejection()
    /// Calls in flight to the backend at once, across every event loop; more are refused at once.
    /// nil = no limit.
    public var maxConcurrentRequests: Int?
    /// Active health checks (`grpc.health.v1.Health/Check`); nil = passive health only.
    public var healthCheck: HealthCheck?
    /// Resolve endpoints given by host name this often, each address becoming an endpoint; nil =
    /// connect by name, to whichever address answers first.
    public var dnsRefreshInterval: TimeAmount?
    /// Connections each event loop may open to one endpoint: another opens when every one is at
    /// the backend's `SETTINGS_MAX_CONCURRENT_STREAMS`.
    public var maxConnectionsPerEndpoint = 16
    /// gRPC retry throttling for the backend's calls.
    public var retryBudget = RetryBudget()
    /// Every connection's settings (timeouts, windows, TLS, keepalive...).
    public var connection: UpstreamConfiguration

    /// Creates a configuration; every other setting has its default.
    /// - Parameters:
    ///   - name: The backend's name.
    ///   - endpoints: At least one endpoint.
    ///   - connection: The settings of every connection to the endpoints.
    public init(name: String, endpoints: [UpstreamTarget], connection: UpstreamConfiguration = .defaults) {
        self.name = name
        self.endpoints = endpoints
        self.connection = connection
    }

    /// Endpoint choice per call.
    public enum Balancing: String, Sendable {
        /// Each endpoint in turn.
        case roundRobin = "round-robin"
        /// The endpoint with the fewest calls in flight on this event loop (ties in turn).
        case leastOutstanding = "least-outstanding"
    }

    /// Passive ejection: an endpoint whose connects fail ``afterFailures`` times in a row is left
    /// out for ``time``, doubled on each further failure up to ``maxTime``.
    public struct Ejection: Sendable, Equatable {
        /// Failed connects in a row that eject an endpoint.
        public var afterFailures = 2
        /// How long an endpoint is left out the first time.
        public var time = TimeAmount.seconds(5)
        /// The longest an endpoint is left out.
        public var maxTime = TimeAmount.seconds(30)
        /// The defaults: 2 failures, 5 s, at most 30 s.
        public init() {}
    }

    /// Active health checks of every endpoint.
    public struct HealthCheck: Sendable, Equatable {
        /// Time between checks of each endpoint.
        public var interval = TimeAmount.seconds(5)
        /// A check not answered within this time fails.
        public var timeout = TimeAmount.seconds(1)
        /// Failed checks in a row that take an endpoint out of rotation.
        public var unhealthyThreshold = 2
        /// Passed checks in a row that bring it back.
        public var healthyThreshold = 1
        /// The `service` asked about (`""`: the server as a whole).
        public var service = ""
        /// The defaults: every 5 s, 1 s timeout, out after 2 failures, back after 1 pass.
        public init() {}
    }

    /// gRPC's retry throttling: the token count starts at ``maxTokens``; each retryable failure
    /// takes one token, each success gives ``tokenRatio`` back; retries are made only while more
    /// than half the tokens are left.
    public struct RetryBudget: Sendable, Equatable {
        /// The token count's ceiling (and start).
        public var maxTokens = 10
        /// Tokens a successful call gives back.
        public var tokenRatio = 0.1
        /// The defaults: 10 tokens, 0.1 back per success (gRPC's).
        public init() {}
    }
}
