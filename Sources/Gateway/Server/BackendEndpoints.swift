import NIOCore
import Upstream

/// One backend's endpoints on one event loop: picks the endpoint for each call, leaves out
/// endpoints whose connects keep failing (passive ejection), and moves calls whose connect
/// failed to another endpoint (they never reached a backend, so this is safe for every call
/// kind). Only touched on its loop.
final class BackendEndpoints: UpstreamCallRouter {
    /// The backend's name in `Gateway.yaml`.
    let name: String
    /// One client (one HTTP/2 connection) per endpoint.
    let clients: [UpstreamClient]
    private let balancing: GatewayConfig.Backend.Balancing
    private let ejectAfterFailures: Int
    private let ejection: TimeAmount
    private let maxEjection: TimeAmount
    /// Active health checks, when configured.
    private let prober: HealthProber?
    private var next = 0

    init(name: String, backend: GatewayConfig.Backend, clients: [UpstreamClient]) {
        self.name = name
        self.clients = clients
        self.balancing = backend.balancing
        self.ejectAfterFailures = backend.ejectAfterFailures
        self.ejection = .milliseconds(backend.ejectionMilliseconds)
        self.maxEjection = .milliseconds(backend.maxEjectionMilliseconds)
        self.prober = backend.healthCheck.map { HealthProber(clients: clients, settings: $0) }
        for client in clients { client.router = self }
        if let prober, let loop = clients.first?.eventLoop { prober.start(on: loop) }
    }

    /// Stops the health checks.
    func stop() {
        prober?.stop()
    }

    /// Whether endpoint `index` may take new calls: not failed by active checks, not ejected.
    private func isInRotation(_ index: Int, now: NIODeadline) -> Bool {
        if let prober, !prober.isHealthy(index) { return false }
        return !isEjected(clients[index], now: now)
    }

    /// The endpoint for a new call: a healthy one by the balancing policy, or, when every
    /// endpoint is ejected, one anyway (it may have recovered; failing fast helps nobody).
    func pick() -> UpstreamClient? {
        if clients.count == 1 { return clients[0] }
        let now = NIODeadline.now()
        return choose { self.isInRotation($0, now: now) } ?? choose { _ in true }
    }

    /// Whether `client` is left out of rotation right now.
    func isEjected(_ client: UpstreamClient, now: NIODeadline = .now()) -> Bool {
        let failures = client.consecutiveConnectFailures
        guard failures >= ejectAfterFailures, let last = client.lastConnectFailure else { return false }
        // time, 2×time, 4×time... per further failure, up to maxTime.
        let doublings = min(failures - ejectAfterFailures, 20)
        let span = min(ejection.nanoseconds << doublings, maxEjection.nanoseconds)
        return now < last + .nanoseconds(span)
    }

    func upstreamClient(_ client: UpstreamClient, couldNotConnectFor call: UpstreamCall) -> Bool {
        // Each endpoint gets at most one try per call.
        guard call.failedConnectAttempts < clients.count else { return false }
        let now = NIODeadline.now()
        let other =
            choose { self.clients[$0] !== client && self.isInRotation($0, now: now) } ?? choose { self.clients[$0] !== client }
        guard let other else { return false }
        other.adopt(call)
        return true
    }

    /// The endpoint the policy prefers among the indices `eligible` accepts, starting the rotation at
    /// `next` so round-robin and ties take endpoints in turn; advances the rotation.
    private func choose(_ eligible: (Int) -> Bool) -> UpstreamClient? {
        var chosen: Int?
        for k in 0..<clients.count {
            let index = (next + k) % clients.count
            guard eligible(index) else { continue }
            if balancing == .roundRobin {
                chosen = index
                break
            }
            if chosen.map({ clients[index].outstandingCalls < clients[$0].outstandingCalls }) ?? true {
                chosen = index
            }
        }
        guard let chosen else { return nil }
        next = (chosen + 1) % clients.count
        return clients[chosen]
    }
}

@available(*, unavailable)
extension BackendEndpoints: Sendable {}
