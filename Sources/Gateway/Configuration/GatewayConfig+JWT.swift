import Yams

/// `auth.providers.<name>.jwt`: bearer tokens signed by an issuer whose keys Portico knows.
///
/// ```yaml
/// auth:
///   providers:
///     idp:
///       jwt:
///         issuer: https://id.example.com/         # the token's iss must equal it
///         audiences: [portico-demo]               # optional: its aud must name one (else 403)
///         jwks: { file: jwks.json }               # or { url: https://id.example.com/jwks.json,
///                                                 #      refreshInterval: 10m, timeout: 5s, caFile: ca.pem }
///         algorithms: [RS256, ES256, EdDSA]       # the default; the token's alg must be listed
///         clockSkew: 60s                          # leeway on exp, nbf and iat
///         from:                                   # where the token is read; the default:
///           - { header: Authorization, prefix: "Bearer " }
///           - { query: access_token }
///           - { cookie: session }
///         requiredClaims: { scope: [orders.read] } # each claim must equal (or contain) one value, else 403
///         claimsToHeaders: { sub: x-user-id }     # claims forwarded as metadata
///         forward: false                          # true: the token itself reaches the backend too
/// ```
extension GatewayConfig {
    /// `auth.providers.<name>.jwt`.
    public struct JWTProvider: Sendable, Equatable {
        /// Where a request carries its token.
        public enum Source: Sendable, Equatable {
            /// A header (lowercased), its value after `prefix` (matched without regard to case).
            case header(String, prefix: String)
            /// A query parameter.
            case query(String)
            /// A cookie.
            case cookie(String)
        }

        /// Where the key set comes from.
        public enum Keys: Sendable, Equatable {
            /// A JWKS file, relative to the configuration's folder, read at each load.
            case file(String)
            /// A JWKS document fetched over HTTPS (or HTTP to a loopback address).
            case url(String, refreshIntervalMilliseconds: Int64, timeoutMilliseconds: Int64, caFile: String?)
        }

        /// The signature algorithms a provider may accept.
        public static let supportedAlgorithms = ["RS256", "ES256", "EdDSA"]

        /// The `iss` a token must carry.
        public var issuer: String
        /// `aud` values of which a token must name one; empty: any audience.
        public var audiences: [String] = []
        /// The key set.
        public var keys: Keys
        /// The accepted `alg` values.
        public var algorithms: [String] = supportedAlgorithms
        /// Leeway on `exp`, `nbf` and `iat`, in seconds.
        public var clockSkewSeconds: Int64 = 60
        /// Where tokens are read, in order: the first present is the one checked.
        public var sources: [Source] = [.header("authorization", prefix: "Bearer ")]
        /// Claims that must hold, by name: the claim equals one of the values (or, for a list
        /// claim, contains one). A token that fails one is authentic but forbidden (403).
        public var requiredClaims: [String: [String]] = [:]
        /// Claims forwarded as metadata: claim name → metadata name (lowercased).
        public var claimsToHeaders: [String: String] = [:]
        /// Whether the token reaches the backend; by default it is stripped.
        public var forward = false
        /// The most verified tokens kept (per provider) to skip the signature check.
        public var maxCachedTokens = 10_000
    }

    /// Decodes `auth.providers.<name>.jwt`.
    static func parseJWTProvider(_ node: Node, at path: String, reader: inout YAMLReader) -> JWTProvider? {
        guard let fields = reader.mapping(node, at: path) else { return nil }
        let known: Set<String> = [
            "issuer", "audiences", "jwks", "algorithms", "clockSkew", "from", "requiredClaims", "claimsToHeaders",
            "forward", "maxCachedTokens",
        ]
        reader.rejectUnknownKeys(fields, known: known, at: path)
        var provider = JWTProvider(issuer: "", keys: .file(""))
        var hasKeys = false
        var keysGiven = false
        for (key, value) in fields {
            let itemPath = "\(path).\(key)"
            switch key {
            case "issuer":
                provider.issuer = reader.string(value, at: itemPath) ?? ""
            case "audiences":
                provider.audiences = strings(value, at: itemPath, reader: &reader)
            case "jwks":
                keysGiven = true
                if let keys = parseJWKS(value, at: itemPath, reader: &reader) {
                    provider.keys = keys
                    hasKeys = true
                }
            case "algorithms":
                provider.algorithms = strings(value, at: itemPath, reader: &reader)
                for (i, name) in provider.algorithms.enumerated() where !JWTProvider.supportedAlgorithms.contains(name)
                {
                    reader.report(
                        "\(itemPath)[\(i)]",
                        "unsupported algorithm \"\(name)\" (supported: RS256, ES256, EdDSA)",
                        at: value
                    )
                }
                if provider.algorithms.isEmpty { reader.report(itemPath, "name at least one algorithm", at: value) }
            case "clockSkew":
                if reader.string(value, at: itemPath).map({ $0 == "0" || $0 == "0s" }) == true {
                    provider.clockSkewSeconds = 0
                } else if let ms = reader.durationMilliseconds(value, at: itemPath) {
                    provider.clockSkewSeconds = (ms + 999) / 1000
                }
            case "from":
                provider.sources = []
                for (i, item) in (reader.sequence(value, at: itemPath) ?? []).enumerated() {
                    if let source = parseTokenSource(item, at: "\(itemPath)[\(i)]", reader: &reader) {
                        provider.sources.append(source)
                    }
                }
                if provider.sources.isEmpty {
                    reader.report(itemPath, "name at least one place to read the token", at: value)
                }
            case "requiredClaims":
                for (claim, item) in reader.mapping(value, at: itemPath) ?? [] {
                    let claimPath = "\(itemPath).\(claim)"
                    let values: [String]
                    if case .sequence = item {
                        values = strings(item, at: claimPath, reader: &reader)
                    } else {
                        values = reader.string(item, at: claimPath).map { [$0] } ?? []
                    }
                    if values.isEmpty { reader.report(claimPath, "give the accepted value(s)", at: item) }
                    provider.requiredClaims[claim] = values
                }
            case "claimsToHeaders":
                for (claim, item) in reader.mapping(value, at: itemPath) ?? [] {
                    guard let header = reader.string(item, at: "\(itemPath).\(claim)") else { continue }
                    let name = header.lowercased()
                    if name.isEmpty || name.hasPrefix("grpc-") || name.hasPrefix(":") || name.hasSuffix("-bin") {
                        reader.report(
                            "\(itemPath).\(claim)",
                            "\"\(header)\" cannot carry a claim (not empty, not grpc-*, not *-bin)",
                            at: item
                        )
                    }
                    provider.claimsToHeaders[claim] = name
                }
            case "forward":
                provider.forward = reader.bool(value, at: itemPath) ?? false
            case "maxCachedTokens":
                provider.maxCachedTokens =
                    reader.int(value, at: itemPath, range: 1...10_000_000) ?? provider.maxCachedTokens
            default: break
            }
        }
        if provider.issuer.isEmpty { reader.report("\(path).issuer", "the issuer is required", at: node) }
        guard hasKeys else {
            if !keysGiven {
                reader.report("\(path).jwks", "the key set is required: { file: ... } or { url: ... }", at: node)
            }
            return nil
        }
        return provider
    }

    /// `jwks: { file: … }` or `jwks: { url: …, refreshInterval, timeout, caFile }`.
    private static func parseJWKS(_ node: Node, at path: String, reader: inout YAMLReader) -> JWTProvider.Keys? {
        guard let fields = reader.mapping(node, at: path) else { return nil }
        reader.rejectUnknownKeys(fields, known: ["file", "url", "refreshInterval", "timeout", "caFile"], at: path)
        var file: String?
        var url: String?
        var refresh: Int64 = 600_000
        var timeout: Int64 = 5_000
        var caFile: String?
        for (key, value) in fields {
            let itemPath = "\(path).\(key)"
            switch key {
            case "file": file = reader.string(value, at: itemPath)
            case "url": url = reader.string(value, at: itemPath)
            case "caFile": caFile = reader.string(value, at: itemPath)
            case "refreshInterval":
                if let ms = reader.durationMilliseconds(value, at: itemPath) {
                    if ms < 1_000 { reader.report(itemPath, "must be at least 1s", at: value) } else { refresh = ms }
                }
            case "timeout":
                timeout = reader.durationMilliseconds(value, at: itemPath) ?? timeout
            default: break
            }
        }
        switch (file, url) {
        case (let file?, nil):
            for key in ["refreshInterval", "timeout", "caFile"] where fields.contains(where: { $0.key == key }) {
                reader.report("\(path).\(key)", "only a url key set is fetched; a file is read at each load", at: node)
            }
            return .file(file)
        case (nil, let url?):
            guard let problem = jwksURLProblem(url) else {
                return .url(url, refreshIntervalMilliseconds: refresh, timeoutMilliseconds: timeout, caFile: caFile)
            }
            reader.report("\(path).url", problem, at: node)
            return nil
        default:
            reader.report(path, "give exactly one of file, url", at: node)
            return nil
        }
    }

    /// Why `url` cannot serve a key set: keys travel over HTTPS, or plain HTTP only to this host.
    private static func jwksURLProblem(_ url: String) -> String? {
        if url.hasPrefix("https://") && url.count > "https://".count { return nil }
        for loopback in ["http://127.0.0.1", "http://localhost", "http://[::1]"] where url.hasPrefix(loopback) {
            let rest = url.dropFirst(loopback.count)
            if rest.isEmpty || rest.first == ":" || rest.first == "/" { return nil }
        }
        return "a key set is fetched over https:// (plain http:// only from a loopback address), got \"\(url)\""
    }

    /// `{ header: Authorization, prefix: "Bearer " }`, `{ query: access_token }` or `{ cookie: session }`.
    private static func parseTokenSource(_ node: Node, at path: String, reader: inout YAMLReader) -> JWTProvider.Source?
    {
        guard let fields = reader.mapping(node, at: path) else { return nil }
        reader.rejectUnknownKeys(fields, known: ["header", "prefix", "query", "cookie"], at: path)
        var prefix = ""
        var source: JWTProvider.Source?
        var kinds = 0
        for (key, value) in fields {
            guard let text = reader.string(value, at: "\(path).\(key)") else { continue }
            switch key {
            case "prefix": prefix = text
            case "header":
                kinds += 1
                source = .header(text.lowercased(), prefix: "")
            case "query":
                kinds += 1
                source = .query(text)
            case "cookie":
                kinds += 1
                source = .cookie(text)
            default: break
            }
        }
        guard kinds == 1, let source else {
            reader.report(path, "give exactly one of header, query, cookie", at: node)
            return nil
        }
        if case .header(let name, _) = source { return .header(name, prefix: prefix) }
        if !prefix.isEmpty { reader.report("\(path).prefix", "a prefix applies to a header only", at: node) }
        return source
    }

    /// A list of strings (each reported where it is not one).
    private static func strings(_ node: Node, at path: String, reader: inout YAMLReader) -> [String] {
        (reader.sequence(node, at: path) ?? []).enumerated().compactMap { reader.string($1, at: "\(path)[\($0)]") }
    }
}
