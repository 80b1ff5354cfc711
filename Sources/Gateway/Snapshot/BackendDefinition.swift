public import NIOCore
public import Upstream

/// One backend of a snapshot: its name, its settings from `Gateway.yaml`, and the
/// ``ClusterConfiguration`` (TLS context included) its live ``Cluster`` is made from.
///
/// The snapshot holds definitions, never connections: the server keeps one live cluster per
/// definition, and a reload whose definition of a backend is ``isSameBackend(as:)`` the running
/// one keeps that cluster and its connections.
public struct BackendDefinition: Sendable {
    /// The backend's name in `Gateway.yaml`.
    public let name: String
    /// Its position in ``GatewaySnapshot/backends`` (what a ``RoutePlan`` refers to).
    public let index: Int
    /// `backends.<name>` as written.
    public let settings: GatewayConfig.Backend
    /// What the live cluster is made from.
    public let cluster: ClusterConfiguration
    /// The default deadline of the backend's unary calls (`timeout`).
    public let unaryTimeout: TimeAmount?
    /// Every input of ``cluster`` that ``settings`` does not show: the stream buffer bound and
    /// the TLS files' bytes.
    private let otherInputs: [[UInt8]]

    init(
        name: String,
        index: Int,
        settings: GatewayConfig.Backend,
        streaming: GatewayConfig.StreamingSettings,
        tls: UpstreamTLS?,
        tlsFiles: [[UInt8]]
    ) {
        self.name = name
        self.index = index
        self.settings = settings
        self.unaryTimeout = settings.timeoutMilliseconds.map { .milliseconds($0) }
        self.otherInputs = [withUnsafeBytes(of: Int64(streaming.bufferBytes).littleEndian, Array.init)] + tlsFiles
        self.cluster = Self.clusterConfiguration(name: name, settings: settings, streaming: streaming, tls: tls)
    }

    /// Whether `other` describes the same cluster (same settings, same TLS files): a reload then
    /// keeps the running cluster and its connections.
    public func isSameBackend(as other: BackendDefinition) -> Bool {
        name == other.name && settings == other.settings && otherInputs == other.otherInputs
    }

    private static func clusterConfiguration(
        name: String,
        settings: GatewayConfig.Backend,
        streaming: GatewayConfig.StreamingSettings,
        tls: UpstreamTLS?
    ) -> ClusterConfiguration {
        var connection = UpstreamConfiguration.defaults
        connection.connectTimeout = .seconds(2)
        // No fail-fast window after a failed connect: each request that finds an endpoint down
        // tries again (attempts are coalesced per connection), so the first request after a
        // backend restart succeeds. With several endpoints, passive ejection keeps calls away
        // from one that keeps failing.
        connection.reconnectBackoffInitial = .zero
        connection.reconnectBackoffMax = .zero
        // Per-stream bounds: what a paused stream may hold from the backend, and what an upload
        // may queue for it, before backpressure kicks in.
        connection.sendBufferHighWatermark = streaming.bufferBytes
        connection.sendBufferLowWatermark = streaming.bufferBytes / 4
        connection.compressRequests = settings.compressRequests
        connection.maxResponseMetadataBytes = settings.maxResponseMetadataBytes
        connection.keepaliveInterval = settings.keepaliveIntervalMilliseconds.map { .milliseconds($0) }
        connection.keepaliveTimeout = .milliseconds(settings.keepaliveTimeoutMilliseconds)
        connection.idleTimeout = settings.idleTimeoutMilliseconds.map { .milliseconds($0) }
        connection.tls = tls

        var cluster = ClusterConfiguration(name: name, endpoints: settings.endpoints, connection: connection)
        cluster.balancing = settings.balancing
        cluster.ejection.afterFailures = settings.ejectAfterFailures
        cluster.ejection.time = .milliseconds(settings.ejectionMilliseconds)
        cluster.ejection.maxTime = .milliseconds(settings.maxEjectionMilliseconds)
        cluster.maxConcurrentRequests = settings.maxConcurrentRequests
        cluster.dnsRefreshInterval = settings.dnsRefreshMilliseconds.map { .milliseconds($0) }
        cluster.maxConnectionsPerEndpoint = settings.maxConnectionsPerEndpoint
        cluster.retryBudget = settings.retryBudget
        cluster.healthCheck = settings.healthCheck.map { check in
            var health = ClusterConfiguration.HealthCheck()
            health.interval = .milliseconds(check.intervalMilliseconds)
            health.timeout = .milliseconds(check.timeoutMilliseconds)
            health.unhealthyThreshold = check.unhealthyThreshold
            health.healthyThreshold = check.healthyThreshold
            health.service = check.service
            return health
        }
        return cluster
    }
}
