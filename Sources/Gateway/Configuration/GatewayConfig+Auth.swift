import Yams

/// `auth:` who may call which method, checked before the backend is called.
///
/// ```yaml
/// auth:
///   providers:
///     appkeys:
///       apiKey:
///         header: appkey            # or query: key (exactly one)
///         idHeader: appid           # optional: must name the key's id
///         keys: { file: keys.txt }  # or { env: PORTICO_API_KEYS }; one per line, `id:key` or `key`
///         forward: false            # true: the key (and idHeader) reach the backend too
///   rules:
///     - selector: demo.user.v1.UserService.*   # exact method, `Service.*`, `package.*` or `*`
///       requires: [appkeys]         # any of these; or allOf: [a, b]
///     - selector: "*"
///       allowAnonymous: true
/// ```
extension GatewayConfig {
    /// `auth:` providers by name, and the rules that require them.
    public struct AuthSettings: Sendable, Equatable {
        /// The providers, by name.
        public var providers: [String: AuthProvider] = [:]
        /// The rules, in file order; the most specific selector matching a method applies.
        public var rules: [AuthRule] = []

        /// No providers, no rules.
        public init() {}
    }

    /// `auth.providers.<name>`.
    public enum AuthProvider: Sendable, Equatable {
        /// An API key from a header or query parameter.
        case apiKey(APIKeyProvider)
        /// A signed JSON Web Token.
        case jwt(JWTProvider)
    }

    /// `auth.providers.<name>.apiKey`.
    public struct APIKeyProvider: Sendable, Equatable {
        /// Where the key is read from.
        public enum Source: Sendable, Equatable {
            /// A request header (lowercased name).
            case header(String)
            /// A query parameter.
            case query(String)
        }

        /// Where the keys come from.
        public enum Keys: Sendable, Equatable {
            /// A file, relative to the configuration's folder, read at each load.
            case file(String)
            /// An environment variable of the process.
            case environment(String)
        }

        /// Where the key is read from.
        public var source: Source
        /// A header that must carry the key's id (the tutorial's `appid`), lowercased.
        public var idHeader: String?
        /// Where the keys come from.
        public var keys: Keys
        /// Whether the key header (and `idHeader`) reach the backend; by default only the key's
        /// id does, as `x-portico-api-key-id`.
        public var forward = false
    }

    /// `auth.rules[i]`: what a method needs.
    public struct AuthRule: Sendable, Equatable {
        /// Which methods: `pkg.Service.Method`, `pkg.Service.*`, `pkg.*` or `*`.
        public var selector: String
        /// The provider names; nil with ``allowAnonymous``.
        public var providers: [String]
        /// All of ``providers`` must pass (`allOf`), else any one (`requires`).
        public var requiresAll = false
        /// No credentials needed (`allowAnonymous: true`).
        public var allowAnonymous = false
        /// The YAML path of the rule, for problems found later.
        public var yamlPath: String
    }

    /// Decodes `auth:`.
    static func parseAuth(_ node: Node, reader: inout YAMLReader) -> AuthSettings {
        var auth = AuthSettings()
        // Providers named, whether or not they parsed: a rule naming a broken one is not a second problem.
        var declared: Set<String> = []
        guard let fields = reader.mapping(node, at: "auth") else { return auth }
        reader.rejectUnknownKeys(fields, known: ["providers", "rules"], at: "auth")
        for (key, value) in fields {
            if key == "providers" {
                for (name, item) in reader.mapping(value, at: "auth.providers") ?? [] {
                    declared.insert(name)
                    let path = "auth.providers.\(name)"
                    if let provider = parseProvider(item, at: path, reader: &reader) { auth.providers[name] = provider }
                }
            } else if key == "rules" {
                for (i, item) in (reader.sequence(value, at: "auth.rules") ?? []).enumerated() {
                    if let rule = parseAuthRule(item, at: "auth.rules[\(i)]", reader: &reader) {
                        auth.rules.append(rule)
                    }
                }
            }
        }
        for rule in auth.rules {
            for (i, name) in rule.providers.enumerated() where !declared.contains(name) {
                let list = rule.requiresAll ? "allOf" : "requires"
                reader.report("\(rule.yamlPath).\(list)[\(i)]", "unknown provider \"\(name)\"", at: nil)
            }
        }
        reportRepeatedSelectors(auth.rules.map { ($0.selector, $0.yamlPath) }, reader: &reader)
        return auth
    }

    /// Reports each rule whose selector an earlier rule of the same list has.
    static func reportRepeatedSelectors(_ rules: [(selector: String, yamlPath: String)], reader: inout YAMLReader) {
        var seen: [String: String] = [:]
        for rule in rules {
            if let earlier = seen[rule.selector] {
                reader.report(
                    "\(rule.yamlPath).selector",
                    "\(rule.selector) is already selected by \(earlier)",
                    at: nil
                )
            }
            seen[rule.selector] = rule.yamlPath
        }
    }

    private static func parseProvider(_ node: Node, at path: String, reader: inout YAMLReader) -> AuthProvider? {
        guard let fields = reader.mapping(node, at: path) else { return nil }
        reader.rejectUnknownKeys(fields, known: ["apiKey", "jwt"], at: path)
        guard fields.count == 1, let (kind, body) = fields.first, kind == "apiKey" || kind == "jwt" else {
            if fields.count != 1 { reader.report(path, "a provider has exactly one kind: apiKey or jwt", at: node) }
            return nil
        }
        if kind == "jwt" { return parseJWTProvider(body, at: "\(path).jwt", reader: &reader).map { .jwt($0) } }
        let keyPath = "\(path).apiKey"
        guard let entries = reader.mapping(body, at: keyPath) else { return nil }
        reader.rejectUnknownKeys(entries, known: ["header", "query", "idHeader", "keys", "forward"], at: keyPath)
        var source: APIKeyProvider.Source?
        var keys: APIKeyProvider.Keys?
        var provider = APIKeyProvider(source: .header(""), keys: .file(""))
        for (key, value) in entries {
            let itemPath = "\(keyPath).\(key)"
            switch key {
            case "header", "query":
                guard let name = reader.string(value, at: itemPath), !name.isEmpty else { continue }
                if source != nil { reader.report(itemPath, "give either header or query, not both", at: value) }
                source = key == "header" ? .header(name.lowercased()) : .query(name)
            case "idHeader":
                provider.idHeader = reader.string(value, at: itemPath)?.lowercased()
            case "forward":
                provider.forward = reader.bool(value, at: itemPath) ?? false
            case "keys":
                guard let where_ = reader.mapping(value, at: itemPath) else { continue }
                reader.rejectUnknownKeys(where_, known: ["file", "env"], at: itemPath)
                guard where_.count == 1, let (kind, item) = where_.first,
                    let text = reader.string(item, at: "\(itemPath).\(kind)"), !text.isEmpty
                else {
                    if where_.count != 1 { reader.report(itemPath, "give exactly one of file, env", at: value) }
                    continue
                }
                keys = kind == "file" ? .file(text) : .environment(text)
            default: break
            }
        }
        guard let source else {
            reader.report(keyPath, "where the key is read is required: header or query", at: body)
            return nil
        }
        guard let keys else {
            reader.report("\(keyPath).keys", "the accepted keys are required: { file: ... } or { env: ... }", at: body)
            return nil
        }
        provider.source = source
        provider.keys = keys
        return .apiKey(provider)
    }

    private static func parseAuthRule(_ node: Node, at path: String, reader: inout YAMLReader) -> AuthRule? {
        guard let fields = reader.mapping(node, at: path) else { return nil }
        reader.rejectUnknownKeys(fields, known: ["selector", "requires", "allOf", "allowAnonymous"], at: path)
        var rule = AuthRule(selector: "", providers: [], yamlPath: path)
        var kinds = 0
        for (key, value) in fields {
            switch key {
            case "selector":
                rule.selector = reader.string(value, at: "\(path).selector") ?? ""
            case "requires", "allOf":
                kinds += 1
                rule.requiresAll = key == "allOf"
                for (i, item) in (reader.sequence(value, at: "\(path).\(key)") ?? []).enumerated() {
                    if let name = reader.string(item, at: "\(path).\(key)[\(i)]") { rule.providers.append(name) }
                }
                if rule.providers.isEmpty { reader.report("\(path).\(key)", "name at least one provider", at: value) }
            case "allowAnonymous":
                kinds += 1
                rule.allowAnonymous = reader.bool(value, at: "\(path).allowAnonymous") ?? false
                if !rule.allowAnonymous {
                    reader.report(
                        "\(path).allowAnonymous",
                        "only true is meaningful; remove the rule instead",
                        at: value
                    )
                }
            default: break
            }
        }
        if rule.selector.isEmpty { reader.report("\(path).selector", "a selector is required", at: node) }
        if kinds != 1 { reader.report(path, "give exactly one of requires, allOf, allowAnonymous", at: node) }
        return rule
    }
}
