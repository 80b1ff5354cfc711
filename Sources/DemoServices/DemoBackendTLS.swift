import GRPCNIOTransportHTTP2

/// TLS for a ``DemoBackendServer``: the server certificate and key, and optionally the CA that
/// client certificates must chain to (mutual TLS). All files are PEM.
///
/// ```swift
/// var options = DemoBackendOptions(port: 0, filesDirectory: dir)
/// options.tls = DemoBackendTLS(certificateChainFile: "server.pem", privateKeyFile: "server.key",
///                              clientCAFile: "ca.pem")   // clients must present a certificate
/// ```
public struct DemoBackendTLS: Sendable {
    /// The server's certificate chain, leaf first.
    public var certificateChainFile: String
    /// The private key of the leaf certificate.
    public var privateKeyFile: String
    /// When set, clients must present a certificate signed by one of these CAs (mutual TLS);
    /// when nil, client certificates are neither asked for nor checked.
    public var clientCAFile: String?

    /// Creates TLS options.
    /// - Parameters:
    ///   - certificateChainFile: PEM certificate chain the server presents.
    ///   - privateKeyFile: PEM private key of the leaf certificate.
    ///   - clientCAFile: PEM CA certificates for verifying required client certificates; nil = no mTLS.
    public init(certificateChainFile: String, privateKeyFile: String, clientCAFile: String? = nil) {
        self.certificateChainFile = certificateChainFile
        self.privateKeyFile = privateKeyFile
        self.clientCAFile = clientCAFile
    }

    /// The grpc-swift transport security these options describe (ALPN `grpc-exp`/`h2`).
    var transportSecurity: HTTP2ServerTransport.Posix.TransportSecurity {
        let chain: [TLSConfig.CertificateSource] = [.file(path: self.certificateChainFile, format: .pem)]
        let key: TLSConfig.PrivateKeySource = .file(path: self.privateKeyFile, format: .pem)
        guard let clientCAFile = self.clientCAFile else {
            return .tls(certificateChain: chain, privateKey: key)
        }
        return .mTLS(certificateChain: chain, privateKey: key) { config in
            config.trustRoots = .certificates([.file(path: clientCAFile, format: .pem)])
            config.clientCertificateVerification = .noHostnameVerification
        }
    }
}
