import Logging
import NIOCore
import Upstream

/// DNS discovery (`backends.<name>.dns`): every endpoint given by host name is resolved now and
/// every refresh interval, and each address it resolves to becomes an endpoint of its own (so a
/// Kubernetes headless Service spreads calls over its pods). Addresses that stay keep their
/// connections; new ones join the rotation; those that leave take no new calls and are closed
/// once their calls finish. A failed or empty answer keeps the previous addresses.
extension BackendEndpoints {
    /// Starts the first resolution when `dns:` is set and some endpoint is a host name.
    func startDiscovery() {
        guard backend.dnsRefreshMilliseconds != nil, !namedEndpoints.isEmpty else { return }
        refresh()
    }

    /// Configured endpoints given by host name (not IP literals, not unix sockets), by index.
    private var namedEndpoints: [(origin: Int, endpoint: UpstreamTarget)] {
        backend.endpoints.enumerated().compactMap { origin, endpoint in
            guard endpoint.unixSocketPath == nil, (try? SocketAddress(ipAddress: endpoint.host, port: endpoint.port)) == nil else { return nil }
            return (origin, endpoint)
        }
    }

    private func refresh() {
        guard !isStopped, let interval = backend.dnsRefreshMilliseconds else { return }
        let named = namedEndpoints
        let lookups = named.map { origin, endpoint in
            resolver.addresses(of: endpoint.host, port: endpoint.port, on: eventLoop)
                .map { addresses in (origin, endpoint, Result<[SocketAddress], any Error>.success(addresses)) }
                .recover { error in (origin, endpoint, .failure(error)) }
        }
        EventLoopFuture.whenAllSucceed(lookups, on: eventLoop).assumeIsolated().whenSuccess { [self] answers in
            guard !self.isStopped else { return }
            for (origin, endpoint, answer) in answers {
                switch answer {
                case .success(let addresses):
                    self.apply(addresses, for: endpoint, origin: origin)
                case .failure(let error):
                    self.logger.warning(
                        "DNS refresh failed; keeping the previous addresses",
                        metadata: ["backend": "\(self.name)", "endpoint": "\(endpoint)", "error": "\(error)"]
                    )
                }
            }
            self.closeIdleRetired()
            self.nextRefresh = self.eventLoop.assumeIsolated().scheduleTask(in: .milliseconds(interval)) { [self] in
                self.refresh()
            }
        }
    }

    /// Makes the endpoints from configured endpoint `origin` exactly `addresses` (kept in place,
    /// new ones appended, others retired).
    private func apply(_ addresses: [SocketAddress], for endpoint: UpstreamTarget, origin: Int) {
        guard !addresses.isEmpty else { return }
        let wanted = addresses.map { UpstreamTarget(host: endpoint.host, port: endpoint.port, resolvedAddress: $0) }
        var kept: [EndpointPool] = []
        for pool in pools {
            if pool.origin != origin || wanted.contains(pool.target) {
                kept.append(pool)
            } else {
                retiring.append(pool)
            }
        }
        for target in wanted where !kept.contains(where: { $0.origin == origin && $0.target == target }) {
            kept.append(makePool(for: target, origin: origin))
        }
        if kept.map(\.target) != pools.map(\.target) {
            logger.info(
                "backend endpoints changed",
                metadata: ["backend": "\(name)", "endpoints": "\(kept.map(\.target.description))"]
            )
        }
        pools = kept
    }

    /// Closes the retired endpoints that have no call left.
    private func closeIdleRetired() {
        retiring.removeAll { pool in
            guard pool.outstandingCalls == 0 else { return false }
            _ = pool.close()
            return true
        }
    }
}
