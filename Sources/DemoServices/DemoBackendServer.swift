import Foundation
import GRPCCore
import GRPCNIOTransportHTTP2

/// The demo gRPC backend: every demo service behind the app-key ``AuthInterceptor``, on a
/// plaintext HTTP/2 listener, or TLS (mutual TLS when asked: ``DemoBackendOptions/tls``). Tests
/// start one per suite (or per test) and stop it again:
///
/// ```swift
/// let backend = try await DemoBackendServer.start(.init(port: 0, filesDirectory: dir))
/// defer { Task { await backend.stop() } }
/// let target = "127.0.0.1:\(backend.port)"
/// ```
public final class DemoBackendServer: Sendable {
    /// The bound port (the actual one when the options asked for port 0).
    public let port: Int

    private let server: GRPCServer<HTTP2ServerTransport.Posix>
    private let serving: Task<Void, any Error>
    private let gracePeriod: Duration

    private init(
        port: Int,
        server: GRPCServer<HTTP2ServerTransport.Posix>,
        serving: Task<Void, any Error>,
        gracePeriod: Duration
    ) {
        self.port = port
        self.server = server
        self.serving = serving
        self.gracePeriod = gracePeriod
    }

    /// Starts serving and returns once the listener is bound.
    /// - Parameter options: Address, port and files directory; the directory is created when
    ///   missing.
    /// - Returns: The running server.
    /// - Throws: The file system error when the files directory cannot be created, or the
    ///   transport's error when the address cannot be bound (port in use, bad host).
    public static func start(_ options: DemoBackendOptions) async throws -> DemoBackendServer {
        try FileManager.default.createDirectory(atPath: options.filesDirectory, withIntermediateDirectories: true)
        // The transport binds literal addresses only; `localhost` is common enough to accept.
        let host = options.host == "localhost" ? "127.0.0.1" : options.host
        let address: SocketAddress
        if let path = options.unixSocketPath {
            try? FileManager.default.removeItem(atPath: path)
            address = .unixDomainSocket(path: path)
        } else {
            address = host.contains(":") ? .ipv6(host: host, port: options.port) : .ipv4(host: host, port: options.port)
        }
        let transport = HTTP2ServerTransport.Posix(
            address: address,
            transportSecurity: options.tls?.transportSecurity ?? .plaintext,
            config: .defaults {
                $0.compression.enabledAlgorithms = options.gzip ? .all : .none
                if let streams = options.maxConcurrentStreams { $0.http2.maxConcurrentStreams = streams }
            }
        )
        let server = GRPCServer(
            transport: transport,
            services: [
                DemoUserService(),
                DemoFileService(filesDirectory: options.filesDirectory, observer: options.observer),
                DemoUpFileService(filesDirectory: options.filesDirectory, observer: options.observer),
                DemoChatService(),
                DemoEchoService(),
                DemoHealthService(status: options.health),
            ]
                + options.reflectionVersions.map { version -> any RegistrableRPCService in
                    switch version {
                    case .v1: DemoReflectionService(catalog: options.reflection)
                    case .v1alpha: DemoReflectionService.V1Alpha(catalog: options.reflection)
                    }
                },
            interceptors: options.observer.map { [CallCountingInterceptor(observer: $0), AuthInterceptor()] } ?? [
                AuthInterceptor()
            ]
        )
        let serving = Task { try await server.serve() }
        let bound: SocketAddress
        do {
            bound = try await transport.listeningAddress
        } catch {
            serving.cancel()
            // serve() carries the bind failure as its cause; prefer it over listeningAddress's
            // generic "no listening address".
            if case .failure(let serveError) = await serving.result {
                throw serveError
            }
            throw error
        }
        let port = bound.ipv4?.port ?? bound.ipv6?.port ?? options.port
        return DemoBackendServer(port: port, server: server, serving: serving, gracePeriod: options.shutdownGracePeriod)
    }

    /// Stops accepting connections, lets in-flight calls finish for the options'
    /// `shutdownGracePeriod`, cancels the rest, and returns once the listener and every
    /// connection are closed, so a new server can bind the same port. Calling it again is
    /// harmless.
    public func stop() async {
        self.server.beginGracefulShutdown()
        let serving = self.serving
        let gracePeriod = self.gracePeriod
        await withTaskGroup(of: Bool.self) { group in
            group.addTask {
                _ = await serving.result
                return true
            }
            group.addTask {
                try? await Task.sleep(for: gracePeriod)
                return false
            }
            if await group.next() == false {
                serving.cancel()
            }
            group.cancelAll()
        }
    }
}
