/// Where and how a ``DemoBackendServer`` listens and which directory backs the file services.
public struct DemoBackendOptions: Sendable {
    /// The address to bind: an IPv4 or IPv6 literal (`127.0.0.1`, `::1`, `0.0.0.0`) or `localhost`.
    public var host: String = "127.0.0.1"
    /// The port to bind; `0` picks any free port (read it back from ``DemoBackendServer/port``).
    public var port: Int = 50051
    /// The directory `FileService.DownLoad` reads from and `UpFileService.UpLoad` writes to.
    /// Created on start when missing.
    public var filesDirectory: String
    /// How long ``DemoBackendServer/stop()`` lets in-flight calls finish after it stops accepting
    /// new ones; calls still running afterwards (an open chat, say) are cancelled.
    public var shutdownGracePeriod: Duration = .seconds(1)
    /// Records server-side events (cancellations) for tests; nil = none.
    public var observer: DemoCallObserver?
    /// Serve TLS (optionally requiring client certificates) instead of plaintext HTTP/2; nil = plaintext.
    public var tls: DemoBackendTLS?
    /// What `grpc.health.v1.Health/Check` answers (serving unless a test says otherwise).
    public var health = DemoHealthStatus()
    /// Enables gzip: compressed requests are read, and a call that came gzip-compressed is
    /// answered gzip-compressed. Off by default, so responses (a file of zeros, say) travel as
    /// they are and byte counts on both sides match.
    public var gzip = false
    /// Listen on this unix socket instead of `host:port` (a stale socket file is replaced).
    public var unixSocketPath: String?
    /// The `SETTINGS_MAX_CONCURRENT_STREAMS` advertised to clients; nil = the transport's default.
    public var maxConcurrentStreams: Int?

    /// What the reflection services (`grpc.reflection.v1` and `v1alpha`) describe: the demo's own
    /// files unless a test gives a catalog it can change while the server runs.
    public var reflection = DemoReflectionCatalog.demo()
    /// The reflection versions served (both by default; a test serves only `v1alpha` to see a
    /// client fall back to it).
    public var reflectionVersions: [DemoReflectionVersion] = [.v1, .v1alpha]

    /// Creates options.
    /// - Parameters:
    ///   - host: The address to bind.
    ///   - port: The port to bind; `0` for any free port.
    ///   - filesDirectory: The directory backing the file services.
    public init(host: String = "127.0.0.1", port: Int = 50051, filesDirectory: String) {
        self.host = host
        self.port = port
        self.filesDirectory = filesDirectory
    }
}

/// A version of the gRPC server reflection service.
public enum DemoReflectionVersion: Sendable {
    /// `grpc.reflection.v1.ServerReflection`.
    case v1
    /// `grpc.reflection.v1alpha.ServerReflection`, what older clients ask.
    case v1alpha
}
