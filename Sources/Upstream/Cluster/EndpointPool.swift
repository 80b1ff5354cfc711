import NIOCore

/// The connections of one event loop to one endpoint (one address of a backend): one
/// ``UpstreamClient`` per HTTP/2 connection, more opened when every connection is at its peer's
/// `SETTINGS_MAX_CONCURRENT_STREAMS`, up to `maxConnections`. Calls go to the first connection
/// with a free stream, so a lightly loaded endpoint uses one connection. The first client is the
/// endpoint's primary: connect-failure counts (passive ejection) are read from it. Only touched
/// on its loop.
final class EndpointPool {
    /// The endpoint.
    let target: UpstreamTarget
    /// One client per connection; never empty.
    private(set) var clients: [UpstreamClient]
    /// In rotation as far as the cluster's health checks know (endpoints start healthy).
    var isHealthy = true
    private let maxConnections: Int
    private let makeClient: (UpstreamTarget) -> UpstreamClient

    /// Creates the pool with its primary client (which connects on its first call).
    /// - Parameters:
    ///   - target: The endpoint.
    ///   - maxConnections: The most connections this loop opens to the endpoint.
    ///   - makeClient: Makes a client for `target` (with the cluster's configuration and router).
    init(target: UpstreamTarget, maxConnections: Int, makeClient: @escaping (UpstreamTarget) -> UpstreamClient) {
        self.target = target
        self.maxConnections = max(1, maxConnections)
        self.makeClient = makeClient
        self.clients = [makeClient(target)]
    }

    /// The client whose connect failures stand for the endpoint.
    var primary: UpstreamClient { clients[0] }

    /// Calls waiting or in flight on every connection to the endpoint.
    var outstandingCalls: Int { clients.reduce(0) { $0 + $1.outstandingCalls } }

    /// Connections opened so far to the endpoint.
    var connectionCount: Int { clients.reduce(0) { $0 + $1.connectionCount } }

    /// Whether `client` is one of this pool's connections.
    func contains(_ client: UpstreamClient) -> Bool {
        clients.contains { $0 === client }
    }

    /// The client for a new call: the first with a free stream; else a new connection while
    /// below `maxConnections`; else the least loaded (the call waits there for a stream).
    func pick() -> UpstreamClient {
        if let free = clients.first(where: { !$0.isSaturated }) { return free }
        if let grown = grow() { return grown }
        return clients.min { $0.outstandingCalls < $1.outstandingCalls } ?? primary
    }

    /// `client` has calls waiting for a stream: moves them to a connection with free streams,
    /// opening one when allowed. Calls stay where they are when every connection is full and
    /// no more may be opened.
    func relieve(_ client: UpstreamClient) {
        guard let destination = clients.first(where: { $0 !== client && !$0.isSaturated }) ?? grow() else { return }
        for call in client.takeWaitingCalls() {
            destination.adopt(call)
        }
    }

    /// Closes every connection (their calls fail `UNAVAILABLE`).
    func close() -> [EventLoopFuture<Void>] {
        clients.map { $0.close() }
    }

    private func grow() -> UpstreamClient? {
        guard clients.count < maxConnections else { return nil }
        let client = makeClient(target)
        clients.append(client)
        return client
    }
}

@available(*, unavailable)
extension EndpointPool: Sendable {}
