import Yams

extension GatewayConfig {
    /// `backends.<name>.tls`: HTTP/2 over TLS towards the backend (ALPN `h2`).
    ///
    /// ```yaml
    /// backends:
    ///   users:
    ///     endpoints: [10.0.0.5:50051]
    ///     tls:
    ///       ca: certs/ca.pem           # trust these CAs instead of the system's
    ///       cert: certs/client.pem     # client certificate for mutual TLS (with key)
    ///       key: certs/client.key
    ///       serverName: users.internal # SNI and the name the certificate must carry
    ///       insecureSkipVerify: false  # true: accept any certificate (testing only)
    /// ```
    /// `tls: true` or `tls: {}` means TLS with the system's trust store. Paths are relative to the
    /// config file's folder.
    public struct BackendTLS: Sendable, Equatable {
        /// PEM file of the certificate authorities to trust; nil = the system trust store.
        public var ca: String?
        /// PEM client certificate chain for mutual TLS.
        public var cert: String?
        /// PEM private key of ``cert``.
        public var key: String?
        /// SNI and verified-name override (default: the endpoint's host, or its IP address).
        public var serverName: String?
        /// Accept any backend certificate.
        public var insecureSkipVerify = false
        /// `backends.<name>.tls`, for load-time errors.
        public var yamlPath: String
    }

    /// Top-level `tls`: TLS termination on the HTTP/1.1 listener (ALPN `http/1.1`); HTTPS and
    /// `wss://` clients then get exactly what HTTP and `ws://` clients get.
    ///
    /// ```yaml
    /// tls: { cert: certs/portico.pem, key: certs/portico.key }
    /// ```
    public struct ListenerTLS: Sendable, Equatable {
        /// PEM certificate chain the listener presents (leaf first).
        public var cert: String
        /// PEM private key of the leaf certificate.
        public var key: String
    }

    // MARK: Parsing

    /// `backends.<name>.tls`: a mapping, or `true`/`false`.
    static func parseBackendTLS(_ node: Node, at path: String, reader: inout YAMLReader) -> BackendTLS? {
        if case .scalar = node, let enabled = node.bool {
            return enabled ? BackendTLS(yamlPath: path) : nil
        }
        guard case .mapping = node, let fields = reader.mapping(node, at: path) else {
            reader.report(
                path,
                "expected a mapping (ca, cert, key, serverName, insecureSkipVerify) or true/false",
                at: node
            )
            return nil
        }
        reader.rejectUnknownKeys(fields, known: ["ca", "cert", "key", "serverName", "insecureSkipVerify"], at: path)
        var tls = BackendTLS(yamlPath: path)
        for (key, value) in fields {
            let keyPath = "\(path).\(key)"
            switch key {
            case "ca": tls.ca = reader.nonEmptyString(value, at: keyPath)
            case "cert": tls.cert = reader.nonEmptyString(value, at: keyPath)
            case "key": tls.key = reader.nonEmptyString(value, at: keyPath)
            case "serverName": tls.serverName = reader.nonEmptyString(value, at: keyPath)
            case "insecureSkipVerify": tls.insecureSkipVerify = reader.bool(value, at: keyPath) ?? false
            default: break
            }
        }
        if tls.cert != nil, tls.key == nil {
            reader.report("\(path).key", "a client certificate needs its private key", at: node)
        } else if tls.key != nil, tls.cert == nil {
            reader.report("\(path).cert", "a client private key needs its certificate", at: node)
        }
        return tls
    }

    /// Top-level `tls`: `cert` and `key`, both required.
    static func parseListenerTLS(_ node: Node, reader: inout YAMLReader) -> ListenerTLS? {
        guard let fields = reader.mapping(node, at: "tls") else { return nil }
        reader.rejectUnknownKeys(fields, known: ["cert", "key"], at: "tls")
        var cert: String?
        var key: String?
        for (name, value) in fields {
            switch name {
            case "cert": cert = reader.nonEmptyString(value, at: "tls.cert")
            case "key": key = reader.nonEmptyString(value, at: "tls.key")
            default: break
            }
        }
        if !fields.contains(where: { $0.key == "cert" }) {
            reader.report("tls.cert", "required (PEM certificate chain)", at: node)
        }
        if !fields.contains(where: { $0.key == "key" }) {
            reader.report("tls.key", "required (PEM private key)", at: node)
        }
        guard let cert, let key else { return nil }
        return ListenerTLS(cert: cert, key: key)
    }
}

extension YAMLReader {
    /// A string that is not empty (a path or a name).
    mutating func nonEmptyString(_ node: Node, at path: String) -> String? {
        guard let text = string(node, at: path) else { return nil }
        guard !text.isEmpty else {
            report(path, "must not be empty", at: node)
            return nil
        }
        return text
    }
}
