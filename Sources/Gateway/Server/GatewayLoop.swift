import Logging
import NIOCore
import Upstream

/// One event loop of the server: the snapshot new requests on it use, with the loop's share of
/// every backend's cluster. Connections accepted on the loop hold it; each request reads
/// ``current`` once, at its head, and keeps that ``LiveSnapshot`` to its end, so a swap never
/// changes a request in flight.
///
/// ``current`` is written only on the loop itself (a swap is a task on the loop), so reading it
/// is a plain load with no lock and no atomic: per loop, the swap is atomic by construction.
final class GatewayLoop: @unchecked Sendable {
    /// The loop's position in the server's group (and in every cluster's per-loop shares).
    let index: Int
    /// The loop.
    let eventLoop: any EventLoop
    /// Where connection-level problems are logged.
    let logger: Logger
    /// Metrics and the access log, as this loop records them.
    let telemetry: LoopTelemetry
    /// Set by the server's first install, before the listener accepts anything.
    private var live: LiveSnapshot?

    init(index: Int, eventLoop: any EventLoop, logger: Logger, telemetry: LoopTelemetry) {
        self.index = index
        self.eventLoop = eventLoop
        self.logger = logger
        self.telemetry = telemetry
    }

    /// The snapshot new requests use; only on ``eventLoop``, once the server has started.
    var current: LiveSnapshot {
        get {
            eventLoop.assertInEventLoop()
            return live!
        }
        set {
            eventLoop.assertInEventLoop()
            live = newValue
        }
    }
}

/// A snapshot as one event loop serves it: the snapshot, and the loop's share of each of its
/// backends' clusters, at the backends' indices (a plan's ``RoutePlan/backend``).
final class LiveSnapshot {
    /// The immutable part.
    let snapshot: GatewaySnapshot
    /// This loop's share of each backend, at ``BackendDefinition/index``.
    let clusters: [LoopCluster]

    init(snapshot: GatewaySnapshot, clusters: [LoopCluster]) {
        self.snapshot = snapshot
        self.clusters = clusters
    }
}

@available(*, unavailable)
extension LiveSnapshot: Sendable {}
