import Logging
import NIOCore
import Upstream

/// The upstream clients owned by one event loop: one ``UpstreamClient`` (one HTTP/2
/// connection) per backend endpoint, used round-robin. Only touched on its own loop, so a
/// request never leaves the loop that accepted it and no locks are needed.
final class LoopUpstreams {
    private let eventLoop: any EventLoop
    private var clients: [String: [UpstreamClient]] = [:]
    private var nextIndex: [String: Int] = [:]

    init(eventLoop: any EventLoop, backends: [String: GatewayConfig.Backend], streaming: GatewayConfig.StreamingSettings, logger: Logger) {
        self.eventLoop = eventLoop
        for (name, backend) in backends {
            var configuration = UpstreamConfiguration.defaults
            configuration.connectTimeout = .seconds(2)
            // No fail-fast window after a failed connect: each request that finds the backend
            // down tries again (attempts are coalesced per loop), so the first request after a
            // backend restart succeeds. A refused connect costs one syscall round trip.
            configuration.reconnectBackoffInitial = .zero
            configuration.reconnectBackoffMax = .zero
            // Per-stream bounds: what a paused stream may hold from the backend, and what an
            // upload may queue for it, before backpressure kicks in.
            configuration.sendBufferHighWatermark = streaming.bufferBytes
            configuration.sendBufferLowWatermark = streaming.bufferBytes / 4
            clients[name] = backend.endpoints.map { endpoint in
                UpstreamClient(
                    target: UpstreamTarget(host: endpoint.host, port: endpoint.port),
                    eventLoop: eventLoop,
                    configuration: configuration,
                    logger: logger
                )
            }
        }
    }

    /// The next client for `backend` (round-robin over its endpoints).
    func client(for backend: String) -> UpstreamClient? {
        guard let list = clients[backend], !list.isEmpty else { return nil }
        let index = nextIndex[backend, default: 0]
        nextIndex[backend] = (index + 1) % list.count
        return list[index]
    }

    /// Connections opened so far across every backend of this loop.
    var connectionCount: Int {
        clients.values.reduce(0) { $0 + $1.reduce(0) { $0 + $1.connectionCount } }
    }

    /// Closes every upstream connection of this loop.
    func close() -> EventLoopFuture<Void> {
        let futures = clients.values.flatMap { $0.map { $0.close() } }
        return EventLoopFuture.andAllComplete(futures, on: eventLoop)
    }
}

@available(*, unavailable)
extension LoopUpstreams: Sendable {}
