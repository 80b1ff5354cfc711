import Foundation
import NIOCore
import NIOSSL

/// TLS towards a backend: which certificate authorities to trust, the client certificate for
/// mutual TLS, and the name the backend's certificate must carry. ALPN always offers `h2` only.
///
/// The PEM files are read and the TLS context is built once, in the initializer; every
/// connection of every ``UpstreamClient`` configured with this value shares that context.
///
/// ```swift
/// var configuration = UpstreamConfiguration.defaults
/// configuration.tls = try UpstreamTLS(
///     trustRoots: .pemFile("/etc/portico/ca.pem"),
///     certificateChainFile: "/etc/portico/client.pem",
///     privateKeyFile: "/etc/portico/client.key"
/// )
/// ```
public struct UpstreamTLS: Sendable {
    /// Where the certificate authorities that vouch for the backend come from.
    public enum TrustRoots: Sendable, Hashable {
        /// The operating system's trust store.
        case system
        /// The certificates in this PEM file (one or more), instead of the system's.
        case pemFile(String)
    }

    /// The certificate authorities the backend's certificate must chain to.
    public let trustRoots: TrustRoots
    /// PEM file with the client certificate (leaf first, then intermediates) for mutual TLS.
    public let certificateChainFile: String?
    /// PEM file with the private key of the client certificate.
    public let privateKeyFile: String?
    /// The name sent as SNI and required in the backend's certificate, instead of the endpoint's
    /// host. Needed when endpoints are IP addresses but certificates name a host.
    public let serverName: String?
    /// Accept any certificate the backend presents (no chain or name check). For tests and
    /// bring-up only: it removes the protection TLS gives against an impostor.
    public let insecureSkipVerify: Bool
    /// The context every connection is made from (thread-safe, shared).
    let sslContext: NIOSSLContext

    /// Reads the PEM files and builds the TLS context.
    /// - Parameters:
    ///   - trustRoots: The certificate authorities to trust; the system's by default.
    ///   - certificateChainFile: PEM client certificate chain, for mutual TLS (needs `privateKeyFile`).
    ///   - privateKeyFile: PEM private key of the client certificate (needs `certificateChainFile`).
    ///   - serverName: SNI and verified name override; a host name, not an IP address.
    ///   - insecureSkipVerify: Skip verifying the backend's certificate.
    /// - Throws: ``UpstreamTLSError`` whose code names the offending input (unreadable or invalid
    ///   PEM, a key that does not match the certificate, a malformed server name).
    public init(
        trustRoots: TrustRoots = .system,
        certificateChainFile: String? = nil,
        privateKeyFile: String? = nil,
        serverName: String? = nil,
        insecureSkipVerify: Bool = false
    ) throws(UpstreamTLSError) {
        self.trustRoots = trustRoots
        self.certificateChainFile = certificateChainFile
        self.privateKeyFile = privateKeyFile
        self.serverName = serverName
        self.insecureSkipVerify = insecureSkipVerify

        var configuration = TLSConfiguration.makeClientConfiguration()
        configuration.minimumTLSVersion = .tlsv12
        configuration.applicationProtocols = ["h2"]
        configuration.certificateVerification = insecureSkipVerify ? .none : .fullVerification
        if case .pemFile(let path) = trustRoots {
            let roots = try Self.certificates(at: path, code: .trustRoots, what: "CA certificate")
            configuration.trustRoots = .certificates(roots)
        }
        switch (certificateChainFile, privateKeyFile) {
        case (nil, nil):
            break
        case (let chainPath?, let keyPath?):
            let chain = try Self.certificates(at: chainPath, code: .certificateChain, what: "certificate")
            configuration.certificateChain = chain.map { .certificate($0) }
            configuration.privateKey = .privateKey(try Self.privateKey(at: keyPath))
        case (nil, _?):
            throw UpstreamTLSError(code: .certificateChain, message: "a client private key needs its certificate")
        case (_?, nil):
            throw UpstreamTLSError(code: .privateKey, message: "a client certificate needs its private key")
        }
        if let serverName { try Self.validate(serverName: serverName) }
        do {
            self.sslContext = try NIOSSLContext(configuration: configuration)
        } catch {
            // Every file loaded, so with a client certificate what BoringSSL refuses here is the
            // pair: a key that is not the certificate's.
            guard let chainPath = certificateChainFile, let keyPath = privateKeyFile else {
                throw UpstreamTLSError(code: .context, message: "cannot build the TLS context", cause: error)
            }
            throw UpstreamTLSError(
                code: .privateKey,
                message: "cannot use \(keyPath) with \(chainPath) (does the key match the certificate?)",
                cause: error
            )
        }
    }

    /// The name sent as SNI and checked against the certificate of `target`: ``serverName``, else
    /// the target's host unless it is an IP address (then the certificate must name that address).
    func serverHostname(for target: UpstreamTarget) -> String? {
        if let serverName { return serverName }
        return Self.isIPAddress(target.host) ? nil : target.host
    }

    // MARK: Loading

    /// The certificates in the PEM file at `path`; at least one.
    private static func certificates(
        at path: String,
        code: UpstreamTLSError.Code,
        what: String
    ) throws(UpstreamTLSError) -> [NIOSSLCertificate] {
        let bytes = try Self.contents(of: path, code: code, what: what)
        let certificates: [NIOSSLCertificate]
        do {
            certificates = try NIOSSLCertificate.fromPEMBytes(bytes)
        } catch {
            throw UpstreamTLSError(code: code, message: "invalid PEM \(what) in \(path)", cause: error)
        }
        guard !certificates.isEmpty else {
            throw UpstreamTLSError(code: code, message: "no PEM \(what) in \(path)")
        }
        return certificates
    }

    private static func privateKey(at path: String) throws(UpstreamTLSError) -> NIOSSLPrivateKey {
        let bytes = try Self.contents(of: path, code: .privateKey, what: "private key")
        do {
            return try NIOSSLPrivateKey(bytes: bytes, format: .pem)
        } catch {
            throw UpstreamTLSError(code: .privateKey, message: "invalid PEM private key in \(path)", cause: error)
        }
    }

    private static func contents(
        of path: String,
        code: UpstreamTLSError.Code,
        what: String
    ) throws(UpstreamTLSError) -> [UInt8] {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw UpstreamTLSError(code: code, message: "cannot read \(what) file \(path)")
        }
        return [UInt8](data)
    }

    private static func validate(serverName: String) throws(UpstreamTLSError) {
        guard !Self.isIPAddress(serverName) else {
            throw UpstreamTLSError(
                code: .serverName,
                message: "server name \"\(serverName)\" is an IP address (SNI takes host names only)"
            )
        }
        guard (1...255).contains(serverName.utf8.count), !serverName.utf8.contains(0),
            !serverName.contains(where: { $0 == " " || $0 == "/" || $0 == ":" })
        else {
            throw UpstreamTLSError(code: .serverName, message: "invalid server name \"\(serverName)\"")
        }
    }

    private static func isIPAddress(_ host: String) -> Bool {
        (try? SocketAddress(ipAddress: host, port: 0)) != nil
    }
}
