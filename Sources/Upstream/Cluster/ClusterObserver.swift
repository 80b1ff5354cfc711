/// What a cluster reports as it works, for metrics: its endpoints and their health, connections
/// opening and closing, connect attempts, and calls made again transparently. The cluster holds one observer
/// for its whole life; it is called from every event loop and from the monitor, so it must be
/// thread-safe and cheap (an atomic update, no lock on the calls' path).
///
/// ```swift
/// let cluster = Cluster(configuration: config, eventLoops: loops, logger: logger, observer: metrics.cluster("users"))
/// ```
public protocol ClusterObserver: AnyObject, Sendable {
    /// The observer of one endpoint (asked once per endpoint and event loop, when the loop first
    /// uses it; the same endpoint may be asked for again).
    func endpoint(_ target: UpstreamTarget) -> any EndpointObserver
    /// The cluster published `view` (at creation, then after every DNS or health change).
    func published(_ view: ClusterView)
}

/// What one endpoint's connections report.
public protocol EndpointObserver: AnyObject, Sendable {
    /// How logs name the endpoint (`host:port`, `ip:port`, `unix:<path>`), made once.
    var endpointLabel: String { get }
    /// A connection to the endpoint opened (its socket is connected).
    func connectionOpened()
    /// A connection counted by ``connectionOpened()`` closed.
    func connectionClosed()
    /// A connect attempt (TCP, TLS and the HTTP/2 preface) succeeded or failed.
    func connectFinished(succeeded: Bool)
    /// A call on the endpoint was made again transparently (``UpstreamRetryReason/unprocessed``
    /// on this endpoint, ``UpstreamRetryReason/connectFailed`` elsewhere after this endpoint's
    /// connect failed).
    func callRetried(_ reason: UpstreamRetryReason)
}

/// Why a call was made again.
public struct UpstreamRetryReason: Hashable, Sendable, CustomStringConvertible {
    /// The metric label: `unprocessed`, `connect_failed` or `policy`.
    public let label: String

    private init(_ label: String) { self.label = label }

    /// The backend provably did not process the stream (refused, or never sent before GOAWAY):
    /// sent again on a new stream, transparently.
    public static let unprocessed = UpstreamRetryReason("unprocessed")
    /// The connect to the endpoint failed before the call reached it: moved to another endpoint.
    public static let connectFailed = UpstreamRetryReason("connect_failed")
    /// Another attempt by the method's retry policy (made by the caller).
    public static let policy = UpstreamRetryReason("policy")

    /// The label.
    public var description: String { label }
}
