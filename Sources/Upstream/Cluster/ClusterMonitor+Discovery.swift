import Logging
import NIOCore

/// DNS discovery (``ClusterConfiguration/dnsRefreshInterval``): every endpoint given by host name
/// is resolved now and every interval, and each address it resolves to becomes an endpoint of its
/// own (so a Kubernetes headless Service spreads calls over its pods). Addresses that stay keep
/// their place (and, on every loop, their connections); new ones join the rotation; those that
/// leave are retired by each loop once their calls finish. A failed or empty answer keeps the
/// previous addresses.
extension ClusterMonitor {
    /// Starts the first resolution when discovery is on and some endpoint is a host name.
    func startDiscovery() {
        guard configuration.dnsRefreshInterval != nil, !namedEndpoints.isEmpty else { return }
        refresh()
    }

    /// Configured endpoints given by host name, by index.
    private var namedEndpoints: [(origin: Int, endpoint: UpstreamTarget)] {
        configuration.endpoints.enumerated().compactMap { origin, endpoint in
            endpoint.isHostName ? (origin, endpoint) : nil
        }
    }

    private func refresh() {
        guard !isStopped, let interval = configuration.dnsRefreshInterval else { return }
        let lookups = namedEndpoints.map { origin, endpoint in
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
                        metadata: [
                            "backend": "\(self.configuration.name)", "endpoint": "\(endpoint)", "error": "\(error)",
                        ]
                    )
                }
            }
            self.followEndpointsWithHealthChecks()
            self.publishIfChanged()
            self.nextRefresh = self.eventLoop.assumeIsolated().scheduleTask(in: interval) { [self] in
                self.refresh()
            }
        }
    }

    /// Makes the endpoints from configured endpoint `origin` exactly `addresses` (kept in place,
    /// new ones appended).
    private func apply(_ addresses: [SocketAddress], for endpoint: UpstreamTarget, origin: Int) {
        guard !addresses.isEmpty else { return }
        let wanted = addresses.map { UpstreamTarget(host: endpoint.host, port: endpoint.port, resolvedAddress: $0) }
        var kept = endpoints.filter { $0.origin != origin || wanted.contains($0.target) }
        for target in wanted where !kept.contains(where: { $0.origin == origin && $0.target == target }) {
            kept.append((origin, target))
        }
        if kept.map(\.target) != endpoints.map(\.target) {
            logger.info(
                "backend endpoints changed",
                metadata: ["backend": "\(configuration.name)", "endpoints": "\(kept.map(\.target.description))"]
            )
        }
        endpoints = kept
    }
}
