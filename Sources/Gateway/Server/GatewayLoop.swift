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
    /// The client connections open on this loop (HTTP and WebSocket), for a drain.
    private var connections: [ObjectIdentifier: any DrainableConnection] = [:]
    /// Whether the server drains: connections opened from now on drain at once.
    private(set) var isDraining = false
    /// What the admission of each WebSocket handshake decided (``RouteAdmission``), from NIO's
    /// `shouldUpgrade` until the session, or the HTTP handler answering a refusal, takes it.
    private var handshakeAdmissions: [ObjectIdentifier: Result<RouteAdmission.Admitted, GatewayError>] = [:]

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

    // MARK: WebSocket handshakes

    /// Records the admission of the handshake on `channel`. Only on ``eventLoop``.
    func admitted(_ result: Result<RouteAdmission.Admitted, GatewayError>, handshakeOn channel: any Channel) {
        handshakeAdmissions[ObjectIdentifier(channel)] = result
    }

    /// The admission recorded for the handshake on `channel`, if any (taken: asked once).
    func takeAdmission(handshakeOn channel: any Channel) -> Result<RouteAdmission.Admitted, GatewayError>? {
        handshakeAdmissions.removeValue(forKey: ObjectIdentifier(channel))
    }

    // MARK: Connections (drain)

    /// A client connection opened (or upgraded): it hears of a drain. Only on ``eventLoop``.
    func register(_ connection: any DrainableConnection) {
        connections[ObjectIdentifier(connection)] = connection
        if isDraining { connection.beginDrain() }
    }

    /// A client connection closed (or left for its upgrade). Only on ``eventLoop``.
    func unregister(_ connection: any DrainableConnection) {
        connections[ObjectIdentifier(connection)] = nil
    }

    /// Client connections open on this loop.
    var openConnections: Int { connections.count }

    /// The server drains: every connection finishes what it is doing, takes nothing new, and
    /// closes (idle ones at once).
    func beginDrain() {
        isDraining = true
        // A copy: connections that close at once unregister while this runs.
        for connection in connections.values { connection.beginDrain() }
    }

    /// The grace period is over: every connection ends what is left with an error and closes.
    func cancelRemaining() {
        for connection in connections.values { connection.cancelForShutdown() }
    }

    /// Closes whatever is still open, without a word.
    func closeAll() {
        for connection in connections.values { connection.closeNow() }
    }
}

/// A client connection the server can drain: an HTTP/1.1 connection or a WebSocket session.
/// Every method runs on the connection's event loop.
protocol DrainableConnection: AnyObject {
    /// The server drains: finish the request or stream in flight, take no new request, say
    /// `Connection: close`, close once idle (at once when idle now).
    func beginDrain()
    /// The grace period is over: end the call in flight with `UNAVAILABLE` (a unary call's 503,
    /// a stream's final `{"error":…}` line, a WebSocket's close 1001), then close.
    func cancelForShutdown()
    /// Close the connection now.
    func closeNow()
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
