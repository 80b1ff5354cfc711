import Yams

/// `rateLimits:` token buckets per method, checked before the backend is called, and
/// `trustedProxies:`, the peers whose `X-Forwarded-For` names the client.
///
/// ```yaml
/// rateLimits:
///   - selector: demo.user.v1.*      # exact method, `Service.*`, `package.*` or `*`
///     requestsPerSecond: 5          # the refill rate
///     burst: 10                     # the bucket's size (default: requestsPerSecond, at least 1)
///     key: clientIP                 # or apiKey, jwtSub, header:<name>, route (one bucket for everyone)
///     maxKeys: 100000               # buckets kept per method; idle ones are dropped first
/// trustedProxies: [10.0.0.0/8, 127.0.0.1]
/// ```
extension GatewayConfig {
    /// `rateLimits[i]`.
    public struct RateLimitRule: Sendable, Equatable {
        /// What a bucket belongs to.
        public enum Key: Sendable, Equatable {
            /// The client's address (from `X-Forwarded-For` when the peer is a trusted proxy).
            case clientIP
            /// The id of the API key the request authenticated with (the client's address
            /// without one).
            case apiKey
            /// The `sub` of the request's verified JWT (the client's address without one).
            case jwtSubject
            /// A request header's value (the client's address without one), lowercased name.
            case header(String)
            /// One bucket for every request of the method.
            case route
        }

        /// Which methods: `pkg.Service.Method`, `pkg.Service.*`, `pkg.*` or `*`.
        public var selector: String
        /// Tokens added per second.
        public var requestsPerSecond: Double
        /// The bucket's size: requests that may come at once.
        public var burst: Int
        /// What a bucket belongs to.
        public var key: Key
        /// The most buckets kept per method.
        public var maxKeys: Int
        /// The YAML path of the rule.
        public var yamlPath: String
    }

    /// Decodes `rateLimits:`.
    static func parseRateLimits(_ node: Node, reader: inout YAMLReader) -> [RateLimitRule] {
        var rules: [RateLimitRule] = []
        for (i, item) in (reader.sequence(node, at: "rateLimits") ?? []).enumerated() {
            let path = "rateLimits[\(i)]"
            guard let fields = reader.mapping(item, at: path) else { continue }
            reader.rejectUnknownKeys(
                fields,
                known: ["selector", "requestsPerSecond", "burst", "key", "maxKeys"],
                at: path
            )
            var rule = RateLimitRule(
                selector: "",
                requestsPerSecond: 0,
                burst: 0,
                key: .clientIP,
                maxKeys: 100_000,
                yamlPath: path
            )
            for (key, value) in fields {
                let itemPath = "\(path).\(key)"
                switch key {
                case "selector":
                    rule.selector = reader.string(value, at: itemPath) ?? ""
                case "requestsPerSecond":
                    if let text = reader.string(value, at: itemPath) {
                        if let rate = Double(text), rate.isFinite, rate > 0, rate <= 1_000_000 {
                            rule.requestsPerSecond = rate
                        } else {
                            reader.report(itemPath, "expected a number above 0 (at most 1000000)", at: value)
                        }
                    }
                case "burst":
                    rule.burst = reader.int(value, at: itemPath, range: 1...10_000_000) ?? 0
                case "maxKeys":
                    rule.maxKeys = reader.int(value, at: itemPath, range: 16...10_000_000) ?? rule.maxKeys
                case "key":
                    guard let text = reader.string(value, at: itemPath) else { continue }
                    switch text {
                    case "clientIP": rule.key = .clientIP
                    case "apiKey": rule.key = .apiKey
                    case "jwtSub": rule.key = .jwtSubject
                    case "route": rule.key = .route
                    case _ where text.hasPrefix("header:") && text.count > "header:".count:
                        rule.key = .header(String(text.dropFirst("header:".count)).lowercased())
                    default:
                        reader.report(
                            itemPath,
                            "unknown key \"\(text)\" (expected clientIP, apiKey, jwtSub, header:<name>, route)",
                            at: value
                        )
                    }
                default: break
                }
            }
            if rule.selector.isEmpty { reader.report("\(path).selector", "a selector is required", at: item) }
            if rule.requestsPerSecond == 0, !fields.contains(where: { $0.key == "requestsPerSecond" }) {
                reader.report("\(path).requestsPerSecond", "required", at: item)
            }
            if rule.burst == 0 { rule.burst = max(1, Int(rule.requestsPerSecond.rounded(.up))) }
            rules.append(rule)
        }
        reportRepeatedSelectors(rules.map { ($0.selector, $0.yamlPath) }, reader: &reader)
        return rules
    }

    /// Decodes `trustedProxies:`: addresses or CIDR blocks.
    static func parseTrustedProxies(_ node: Node, reader: inout YAMLReader) -> [String] {
        var proxies: [String] = []
        for (i, item) in (reader.sequence(node, at: "trustedProxies") ?? []).enumerated() {
            guard let text = reader.string(item, at: "trustedProxies[\(i)]") else { continue }
            if AddressBlock(text) == nil {
                reader.report(
                    "trustedProxies[\(i)]",
                    "expected an IP address or CIDR block (10.0.0.0/8, ::1)",
                    at: item
                )
            } else {
                proxies.append(text)
            }
        }
        return proxies
    }
}
