import Foundation
import NIOSSL
import Upstream

/// TLS contexts, built once per snapshot from the files `Gateway.yaml` names (paths relative to
/// its folder): the listener's, and one per backend, shared by every event loop and endpoint.
extension SnapshotBuilder {
    /// The listener's context (`tls: {cert, key}`), or nil for plain HTTP.
    /// - Parameter problems: Receives each problem at the YAML path of the offending key.
    func listenerTLSContext(problems: inout [ConfigProblem]) -> NIOSSLContext? {
        guard let tls = config.tls else { return nil }
        do {
            return try Self.makeListenerContext(cert: resolve(tls.cert), key: resolve(tls.key))
        } catch {
            problems.append(ConfigProblem(path: "tls.\(error.key)", message: error.message))
            return nil
        }
    }

    /// The TLS settings of backend `tls` (`backends.<name>.tls`), files read and context built.
    /// - Parameter problems: Receives each problem at the YAML path of the offending key.
    func upstreamTLS(_ tls: GatewayConfig.BackendTLS, problems: inout [ConfigProblem]) -> UpstreamTLS? {
        do {
            return try UpstreamTLS(
                trustRoots: tls.ca.map { .pemFile(resolve($0)) } ?? .system,
                certificateChainFile: tls.cert.map(resolve),
                privateKeyFile: tls.key.map(resolve),
                serverName: tls.serverName,
                insecureSkipVerify: tls.insecureSkipVerify
            )
        } catch {
            let key: String? =
                switch error.code {
                case .trustRoots: "ca"
                case .certificateChain: "cert"
                case .privateKey: "key"
                case .serverName: "serverName"
                default: nil
                }
            problems.append(
                ConfigProblem(path: key.map { "\(tls.yamlPath).\($0)" } ?? tls.yamlPath, message: error.description)
            )
            return nil
        }
    }

    /// The bytes of every file `tls` names, in a fixed order: what a reload compares to decide
    /// whether a backend's connections can be kept (same settings, same files).
    func tlsFileContents(_ tls: GatewayConfig.BackendTLS?) -> [[UInt8]] {
        guard let tls else { return [] }
        return [tls.ca, tls.cert, tls.key].map { path in
            path.flatMap { FileManager.default.contents(atPath: resolve($0)) }.map { [UInt8]($0) } ?? []
        }
    }

    /// `path` against the config file's folder (absolute paths as they are).
    func resolve(_ path: String) -> String {
        path.hasPrefix("/") ? path : "\(baseDirectory)/\(path)"
    }

    /// A listener TLS file problem: the key (`cert` or `key`) and what is wrong.
    private struct ListenerTLSProblem: Error {
        var key: String
        var message: String
    }

    private static func makeListenerContext(cert: String, key: String) throws(ListenerTLSProblem) -> NIOSSLContext {
        guard let certData = FileManager.default.contents(atPath: cert) else {
            throw ListenerTLSProblem(key: "cert", message: "cannot read certificate file \(cert)")
        }
        guard let keyData = FileManager.default.contents(atPath: key) else {
            throw ListenerTLSProblem(key: "key", message: "cannot read private key file \(key)")
        }
        let chain: [NIOSSLCertificate]
        do {
            chain = try NIOSSLCertificate.fromPEMBytes([UInt8](certData))
        } catch {
            throw ListenerTLSProblem(key: "cert", message: "invalid PEM certificate in \(cert): \(error)")
        }
        guard !chain.isEmpty else { throw ListenerTLSProblem(key: "cert", message: "no PEM certificate in \(cert)") }
        let privateKey: NIOSSLPrivateKey
        do {
            privateKey = try NIOSSLPrivateKey(bytes: [UInt8](keyData), format: .pem)
        } catch {
            throw ListenerTLSProblem(key: "key", message: "invalid PEM private key in \(key): \(error)")
        }
        var configuration = TLSConfiguration.makeServerConfiguration(
            certificateChain: chain.map { .certificate($0) },
            privateKey: .privateKey(privateKey)
        )
        configuration.minimumTLSVersion = .tlsv12
        configuration.applicationProtocols = ["http/1.1"]
        do {
            return try NIOSSLContext(configuration: configuration)
        } catch {
            throw ListenerTLSProblem(
                key: "key",
                message: "cannot use \(key) with \(cert) (does the key match the certificate?): \(error)"
            )
        }
    }
}
