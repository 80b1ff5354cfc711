import Yams

extension GatewayConfig {
    /// `cors:` (top level, or `methods.<name>.cors`, which replaces the top-level one for that
    /// method's routes): which browser origins may read the responses of a route from another
    /// origin, and what their preflights are told. Compiled into each route's ``CORSPolicy``.
    ///
    /// ```yaml
    /// cors:
    ///   allowOrigins: ["https://app.example.com", "https://*.example.com", "http://localhost:*"]
    ///   allowMethods: [GET, POST]        # default: the route's own verb
    ///   allowHeaders: [content-type]     # default: none beyond the CORS-safelisted ones; ["*"] = any
    ///   exposeHeaders: [x-request-id]    # default: none
    ///   allowCredentials: false
    ///   maxAge: 10m                      # default 10m; browsers cap it (Chromium 2h, Firefox 24h)
    /// ```
    public struct CORSSettings: Sendable, Equatable {
        /// Origin patterns as written: exact (`https://app.example.com`), subdomains
        /// (`https://*.example.com`: one or more labels, not the bare domain), any port
        /// (`http://localhost:*`), or `*` alone for any origin. Validated at load
        /// (``CORSOriginPattern``).
        public var allowOrigins: [String] = []
        /// Methods a cross-origin request may use; nil = whatever the route's own verb is.
        public var allowMethods: [String]?
        /// Request headers a preflight may ask for (lower-cased); `*` = any.
        public var allowHeaders: [String] = []
        /// Response headers the page may read besides the CORS-safelisted ones.
        public var exposeHeaders: [String] = []
        /// Whether credentialed requests (cookies, `Authorization`) may be read:
        /// `Access-Control-Allow-Credentials: true`. Not with `allowOrigins: ["*"]`.
        public var allowCredentials = false
        /// How long a browser may cache a preflight's answer, in seconds.
        public var maxAgeSeconds = 600
        /// The YAML path of the entry (`cors`, `methods.pkg.Service.Method.cors`).
        public var yamlPath: String

        /// Settings with the defaults, at `yamlPath`.
        public init(yamlPath: String) {
            self.yamlPath = yamlPath
        }
    }

    /// The keys of a `cors:` mapping.
    static let corsKeys: Set<String> = [
        "allowOrigins", "allowMethods", "allowHeaders", "exposeHeaders", "allowCredentials", "maxAge",
    ]

    /// The methods `allowMethods` may name (RFC 9110's, and PATCH); any other is a typo.
    static let corsMethods: Set<String> = ["GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS"]

    /// Decodes and validates a `cors:` mapping at `path`; nil (with problems) when it is unusable.
    static func parseCORS(_ node: Node, at path: String, reader: inout YAMLReader) -> CORSSettings? {
        guard let entries = reader.mapping(node, at: path) else { return nil }
        reader.rejectUnknownKeys(entries, known: corsKeys, at: path)
        var settings = CORSSettings(yamlPath: path)
        let before = reader.problems.count
        var sawOrigins = false
        for (key, value) in entries {
            let keyPath = "\(path).\(key)"
            switch key {
            case "allowOrigins":
                sawOrigins = true
                settings.allowOrigins = parseOrigins(value, at: keyPath, reader: &reader)
            case "allowMethods":
                settings.allowMethods = names(value, at: keyPath, reader: &reader).map { $0.uppercased() }
                for (i, method) in (settings.allowMethods ?? []).enumerated() where !corsMethods.contains(method) {
                    let known = corsMethods.sorted().joined(separator: ", ")
                    reader.report("\(keyPath)[\(i)]", "unknown method \"\(method)\" (expected \(known))", at: nil)
                }
            case "allowHeaders": settings.allowHeaders = names(value, at: keyPath, reader: &reader)
            case "exposeHeaders": settings.exposeHeaders = names(value, at: keyPath, reader: &reader)
            case "allowCredentials": settings.allowCredentials = reader.bool(value, at: keyPath) ?? false
            case "maxAge":
                guard let ms = reader.durationMilliseconds(value, at: keyPath) else { break }
                guard (1_000...86_400_000).contains(ms) else {
                    reader.report(keyPath, "must be between 1s and 24h (browsers cap it lower)", at: value)
                    break
                }
                settings.maxAgeSeconds = Int(ms / 1_000)
            default: break
            }
        }
        if !sawOrigins {
            reader.report("\(path).allowOrigins", "at least one origin is required", at: nil)
        }
        if settings.allowCredentials {
            if settings.allowOrigins.contains("*") {
                reader.report(
                    "\(path).allowCredentials",
                    "cannot be true with allowOrigins [\"*\"]: credentialed responses name the exact origin",
                    at: nil
                )
            }
            if settings.exposeHeaders.contains("*") {
                reader.report(
                    "\(path).exposeHeaders",
                    "\"*\" is no wildcard for credentialed requests: list the headers",
                    at: nil
                )
            }
        }
        return reader.problems.count == before ? settings : nil
    }

    /// `allowOrigins`: a non-empty list of patterns, `*` only alone.
    private static func parseOrigins(_ node: Node, at path: String, reader: inout YAMLReader) -> [String] {
        var origins: [String] = []
        let items = reader.sequence(node, at: path) ?? []
        for (i, item) in items.enumerated() {
            guard let text = reader.string(item, at: "\(path)[\(i)]") else { continue }
            if text == "*" {
                if items.count > 1 { reader.report("\(path)[\(i)]", "\"*\" (any origin) must be alone", at: item) }
            } else if case .failure(let problem) = CORSOriginPattern.parse(text) {
                reader.report("\(path)[\(i)]", problem.message, at: item)
                continue
            }
            origins.append(text)
        }
        if items.isEmpty { reader.report(path, "at least one origin is required", at: node) }
        return origins
    }

    /// A list of header or method names, lower-cased, each a token.
    private static func names(_ node: Node, at path: String, reader: inout YAMLReader) -> [String] {
        var names: [String] = []
        for (i, item) in (reader.sequence(node, at: path) ?? []).enumerated() {
            guard let name = reader.string(item, at: "\(path)[\(i)]") else { continue }
            guard name == "*" || (!name.isEmpty && name.utf8.allSatisfy(CORSOriginPattern.isTokenByte)) else {
                reader.report("\(path)[\(i)]", "\"\(name)\" is not a header or method name", at: item)
                continue
            }
            names.append(name.lowercased())
        }
        return names
    }
}
