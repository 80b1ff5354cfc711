public import NIOCore

/// A backend address: the host (name or IP literal) and TCP port of a gRPC server speaking h2c
/// (or HTTP/2 over TLS, when ``UpstreamConfiguration/tls`` is set), or a unix socket.
public struct UpstreamTarget: Hashable, Sendable, CustomStringConvertible {
    /// Host name or IP address (`localhost` for a unix socket).
    public var host: String
    /// TCP port (0 for a unix socket).
    public var port: Int
    /// The socket's path, when the backend listens on a unix socket instead of TCP.
    public var unixSocketPath: String?
    /// The address to connect to when `host` is a name already resolved (one address of a DNS
    /// answer); nil = resolve `host` at each connect. `host` still names the backend in
    /// `:authority` and TLS SNI.
    public var resolvedAddress: SocketAddress?

    /// Creates a TCP target.
    /// - Parameters:
    ///   - host: Host name or IP address.
    ///   - port: TCP port.
    ///   - resolvedAddress: One of `host`'s addresses to connect to; nil = resolve at connect.
    public init(host: String, port: Int, resolvedAddress: SocketAddress? = nil) {
        self.host = host
        self.port = port
        self.resolvedAddress = resolvedAddress
    }

    /// Creates a unix-socket target (a sidecar, a backend in the same pod or host).
    public init(unixSocketPath: String) {
        self.host = "localhost"
        self.port = 0
        self.unixSocketPath = unixSocketPath
    }

    /// `host:port` (IPv6 literals in brackets), `host:port (address)` when resolved, or `unix:<path>`.
    public var description: String {
        if let unixSocketPath { return "unix:\(unixSocketPath)" }
        guard let ip = self.resolvedAddress?.ipAddress else { return self.hostPort }
        return "\(self.hostPort) (\(ip))"
    }

    /// The `:authority` for calls: `host:port`, or `localhost` for a unix socket (as gRPC does).
    public var authority: String { self.unixSocketPath == nil ? self.hostPort : "localhost" }

    private var hostPort: String {
        self.host.contains(":") ? "[\(self.host)]:\(self.port)" : "\(self.host):\(self.port)"
    }
}

/// Tuning for one ``UpstreamClient``. Start from ``defaults`` and change what you need.
public struct UpstreamConfiguration: Sendable {
    /// How long a TCP connect (with TLS: connect and handshake) may take before calls waiting for
    /// it fail with `UNAVAILABLE`.
    public var connectTimeout: TimeAmount
    /// Upper bound on streams open at once on the connection. The effective limit is the smaller of
    /// this and the peer's `SETTINGS_MAX_CONCURRENT_STREAMS`; calls beyond it wait, in order, for a
    /// stream to finish (they never open a second connection).
    public var maxConcurrentStreams: Int
    /// The peer's stream limit assumed when its SETTINGS carry no `SETTINGS_MAX_CONCURRENT_STREAMS`.
    /// RFC 9113 says "unlimited", but swift-nio-http2 servers (grpc-swift) then enforce 100 and
    /// kill the whole connection with PROTOCOL_ERROR on the 101st stream, so we assume 100.
    public var unadvertisedPeerMaxConcurrentStreams: Int
    /// The `:authority` sent on every call; `nil` means the target's `host:port`.
    public var authority: String?
    /// The `user-agent` sent on every call.
    public var userAgent: String
    /// The largest response header or trailer block accepted from the backend (name + value +
    /// 32 bytes per field, as RFC 9113 counts); a bigger one fails the call `RESOURCE_EXHAUSTED`.
    public var maxResponseMetadataBytes = 16 << 10
    /// After this long without a byte from the backend, a PING checks the connection is alive;
    /// nil = no keepalive (the default: servers limit how often clients may ping).
    public var keepaliveInterval: TimeAmount?
    /// How long a keepalive PING may go unanswered before the connection is closed.
    public var keepaliveTimeout: TimeAmount = .seconds(10)
    /// A connection with no open stream for this long is closed (the next call reconnects);
    /// nil = never.
    public var idleTimeout: TimeAmount? = .seconds(300)
    /// Send request messages gzip-compressed (`grpc-encoding: gzip`). Responses in gzip are read
    /// either way (every call sends `grpc-accept-encoding: gzip`).
    public var compressRequests = false
    /// Largest response message accepted; a bigger one fails the call with `RESOURCE_EXHAUSTED`.
    public var maxResponseMessageLength: Int
    /// Our per-stream receive window (`SETTINGS_INITIAL_WINDOW_SIZE`): how much a stream whose
    /// receiving is paused can buffer before the backend must stop sending.
    public var streamWindowSize: Int
    /// Our connection-level receive window.
    public var connectionWindowSize: Int
    /// Request bytes buffered per call (not yet taken by nghttp2) at which
    /// ``UpstreamCall/isSendBufferFull`` turns true. Advisory: sends are never refused.
    public var sendBufferHighWatermark: Int
    /// Once a full send buffer drops below this many bytes, the delegate's
    /// ``UpstreamCallDelegate/upstreamCallSendBufferDrained(_:)`` runs. Clamped to at most
    /// ``sendBufferHighWatermark``.
    public var sendBufferLowWatermark: Int
    /// After a failed connect, calls fail fast with `UNAVAILABLE` for this long before the next
    /// attempt; each further failure multiplies it by ``reconnectBackoffMultiplier``.
    public var reconnectBackoffInitial: TimeAmount
    /// Ceiling for the reconnect backoff.
    public var reconnectBackoffMax: TimeAmount
    /// Growth factor of the backoff after each consecutive connect failure.
    public var reconnectBackoffMultiplier: Double
    /// Random spread applied to each backoff (`0.2` = ±20 %), so clients do not reconnect in lockstep.
    public var reconnectBackoffJitter: Double
    /// TLS towards the backend (ALPN `h2`, `:scheme` `https`); nil speaks cleartext HTTP/2 (h2c).
    /// The TCP connect, the handshake and the backend's first bytes after it must all happen
    /// within ``connectTimeout``; otherwise the connect fails.
    public var tls: UpstreamTLS?

    /// The defaults:
    /// - connect timeout 2 s;
    /// - at most 1000 concurrent streams (or fewer if the backend says so; 100 if it says nothing);
    /// - `:authority` from the target, user agent `portico-upstream`;
    /// - 4 MiB maximum response message (gRPC's usual default);
    /// - 1 MiB stream window and 16 MiB connection window;
    /// - send buffer full at 256 KiB, drained below 64 KiB;
    /// - reconnect backoff from 100 ms, ×1.6 per failure, at most 5 s, ±20 % jitter;
    /// - no TLS (h2c).
    public static var defaults: UpstreamConfiguration { UpstreamConfiguration() }

    /// Creates a configuration; every parameter has the value of ``defaults``.
    public init(
        connectTimeout: TimeAmount = .seconds(2),
        maxConcurrentStreams: Int = 1000,
        unadvertisedPeerMaxConcurrentStreams: Int = 100,
        authority: String? = nil,
        userAgent: String = "portico-upstream",
        maxResponseMessageLength: Int = 4 << 20,
        streamWindowSize: Int = 1 << 20,
        connectionWindowSize: Int = 16 << 20,
        sendBufferHighWatermark: Int = 256 << 10,
        sendBufferLowWatermark: Int = 64 << 10,
        reconnectBackoffInitial: TimeAmount = .milliseconds(100),
        reconnectBackoffMax: TimeAmount = .seconds(5),
        reconnectBackoffMultiplier: Double = 1.6,
        reconnectBackoffJitter: Double = 0.2,
        tls: UpstreamTLS? = nil
    ) {
        self.connectTimeout = connectTimeout
        self.maxConcurrentStreams = maxConcurrentStreams
        self.unadvertisedPeerMaxConcurrentStreams = unadvertisedPeerMaxConcurrentStreams
        self.authority = authority
        self.userAgent = userAgent
        self.maxResponseMessageLength = maxResponseMessageLength
        self.streamWindowSize = streamWindowSize
        self.connectionWindowSize = connectionWindowSize
        self.sendBufferHighWatermark = sendBufferHighWatermark
        self.sendBufferLowWatermark = sendBufferLowWatermark
        self.reconnectBackoffInitial = reconnectBackoffInitial
        self.reconnectBackoffMax = reconnectBackoffMax
        self.reconnectBackoffMultiplier = reconnectBackoffMultiplier
        self.reconnectBackoffJitter = reconnectBackoffJitter
        self.tls = tls
    }
}
