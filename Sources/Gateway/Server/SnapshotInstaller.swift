import Logging
import NIOConcurrencyHelpers
import NIOCore
import Synchronization
import Upstream

/// The control plane of a running server: installs snapshots on every event loop, one at a time,
/// and keeps the live ``Cluster`` of every backend across them.
///
/// Installing a snapshot: each backend whose ``BackendDefinition`` is the same as the running
/// one's keeps its cluster (and its connections: no reconnect storm on reload); a new or changed
/// backend gets a new cluster, started before any request can reach it; then every loop swaps to
/// the new snapshot, on the loop. Clusters no longer used are retired: they take no new calls,
/// their calls in flight finish, and then they shut down.
actor SnapshotInstaller {
    private let loops: [GatewayLoop]
    private let resolver: any HostResolver
    private let logger: Logger
    private let metrics: GatewayMetrics
    private var running: [String: (definition: BackendDefinition, cluster: Cluster)] = [:]
    private var retiring: [Task<Void, Never>] = []
    /// The installed snapshot, readable from any thread.
    nonisolated let installed: Mutex<GatewaySnapshot?> = Mutex(nil)

    init(loops: [GatewayLoop], resolver: any HostResolver, logger: Logger, metrics: GatewayMetrics) {
        self.loops = loops
        self.resolver = resolver
        self.logger = logger
        self.metrics = metrics
    }

    /// Makes `snapshot` the one new requests use, on every loop.
    func install(_ snapshot: GatewaySnapshot) async {
        var next: [String: (definition: BackendDefinition, cluster: Cluster)] = [:]
        var clusters: [Cluster] = []
        for definition in snapshot.backends {
            let cluster: Cluster
            if let current = running[definition.name], current.definition.isSameBackend(as: definition) {
                cluster = current.cluster
            } else {
                cluster = Cluster(
                    configuration: definition.cluster,
                    eventLoops: loops.map(\.eventLoop),
                    resolver: resolver,
                    logger: logger,
                    observer: metrics.cluster(definition.name)
                )
                cluster.start()
            }
            next[definition.name] = (definition, cluster)
            clusters.append(cluster)
        }
        for plan in snapshot.plans {
            for case .jwt(let verifier) in plan.admission?.requirement?.credentials ?? [] {
                verifier.keys.metrics.withLockedValue { $0 = metrics }
            }
        }
        let installing = clusters
        for loop in loops {
            try? await loop.eventLoop.submit {
                loop.current = LiveSnapshot(snapshot: snapshot, clusters: installing.map { $0.onLoop(loop.index) })
            }.get()
        }
        installed.withLock { $0 = snapshot }
        let replaced = running.values.map(\.cluster).filter { old in !clusters.contains { $0 === old } }
        running = next
        for cluster in replaced {
            retiring.append(Task { await Self.retire(cluster) })
        }
    }

    /// Waits until no call is left on `cluster` (requests that started on an older snapshot
    /// finish there), then shuts it down.
    private static func retire(_ cluster: Cluster) async {
        while !Task.isCancelled, (try? await cluster.outstandingCalls()) ?? 0 > 0 {
            try? await Task.sleep(for: .milliseconds(200))
        }
        await cluster.shutdown()
    }

    /// The cluster of every backend of the installed snapshot, by name, sorted.
    func liveClusters() -> [(name: String, cluster: Cluster)] {
        running.map { ($0.key, $0.value.cluster) }.sorted { $0.name < $1.name }
    }

    /// The live cluster of backend `name` in the installed snapshot.
    func cluster(named name: String) -> Cluster? {
        running[name]?.cluster
    }

    /// Connections opened so far per loop, by the clusters of the installed snapshot.
    func connectionCounts() async throws -> [Int] {
        var counts = Array(repeating: 0, count: loops.count)
        for (_, entry) in running {
            for (loop, count) in try await entry.cluster.connectionCounts().enumerated() {
                counts[loop] += count
            }
        }
        return counts
    }

    /// Shuts every cluster down, retiring ones included.
    func shutdown() async {
        for task in retiring { task.cancel() }
        for task in retiring { await task.value }
        retiring.removeAll()
        for (_, entry) in running { await entry.cluster.shutdown() }
        running.removeAll()
    }
}
