import Logging
import NIOCore

/// The once-per-process watcher of one ``Cluster``: resolves its host names every
/// ``ClusterConfiguration/dnsRefreshInterval`` (see `+Discovery`) and health-checks every
/// endpoint every ``ClusterConfiguration/HealthCheck/interval`` (see `+HealthChecks`), and
/// publishes what it knows as a ``ClusterView`` whenever that changes. Runs on the cluster's first
/// event loop, on connections of its own; only touched there.
final class ClusterMonitor {
    /// The cluster published to; weak, so a cluster dropped without a shutdown stops its monitor.
    private weak var cluster: Cluster?
    let configuration: ClusterConfiguration
    let eventLoop: any EventLoop
    let resolver: any HostResolver
    let logger: Logger
    /// The endpoints in rotation order, each with the configured endpoint it came from.
    var endpoints: [(origin: Int, target: UpstreamTarget)]
    /// Health-check state per endpoint (with its own connection), when checks are configured.
    var health: [UpstreamTarget: EndpointHealth] = [:]
    var nextRefresh: Scheduled<Void>?
    var nextCheckRound: Scheduled<Void>?
    var isStopped = false
    private var lastPublished: [ClusterView.Endpoint]
    private var generation = 0

    init(cluster: Cluster, resolver: any HostResolver, logger: Logger) {
        self.cluster = cluster
        self.configuration = cluster.configuration
        self.eventLoop = cluster.eventLoops[0]
        self.resolver = resolver
        self.logger = logger
        self.endpoints = cluster.configuration.endpoints.enumerated().map { ($0.offset, $0.element) }
        self.lastPublished = cluster.view.endpoints
        self.generation = cluster.view.generation
    }

    /// Begins discovery and checks: the first lookups and the first round right away.
    func start() {
        startDiscovery()
        startHealthChecks()
    }

    /// Stops both and closes the health-check connections.
    func stop() -> EventLoopFuture<Void> {
        isStopped = true
        nextRefresh?.cancel()
        nextCheckRound?.cancel()
        let closing = health.values.map { $0.client.close() }
        health.removeAll()
        return EventLoopFuture.andAllComplete(closing, on: eventLoop)
    }

    /// Publishes the current endpoints and health, when they differ from the last publication.
    func publishIfChanged() {
        guard !isStopped, let cluster else {
            _ = stop()
            return
        }
        let view = endpoints.map { endpoint in
            let record = health[endpoint.target]
            return ClusterView.Endpoint(
                target: endpoint.target,
                isHealthy: record?.isHealthy ?? true,
                problem: record?.isHealthy == false ? record?.problem : nil
            )
        }
        guard view != lastPublished else { return }
        lastPublished = view
        generation += 1
        cluster.publish(ClusterView(endpoints: view, generation: generation))
    }
}

@available(*, unavailable)
extension ClusterMonitor: Sendable {}
