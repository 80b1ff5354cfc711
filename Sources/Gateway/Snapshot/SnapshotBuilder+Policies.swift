import Foundation
import NIOCore
import ProtoSchema

/// Compiling `auth` and `rateLimits` into one ``RouteAdmission`` per method: providers read once
/// (their key files), each method's most specific rule of each kind, fresh buckets per method.
extension SnapshotBuilder {
    /// The admission of every method of `methods` that has something to check, by full name.
    func admissions(for methods: [MethodDescriptor], problems: inout [ConfigProblem]) -> [String: RouteAdmission] {
        guard !config.auth.rules.isEmpty || !config.rateLimits.isEmpty else { return [:] }
        var credentials: [String: RouteAdmission.Credential] = [:]
        for (name, provider) in config.auth.providers.sorted(by: { $0.key < $1.key }) {
            switch provider {
            case .apiKey(let settings):
                do {
                    credentials[name] = .apiKey(
                        try APIKeyVerifier(name: name, settings: settings, baseDirectory: baseDirectory)
                    )
                } catch {
                    problems += error.problems
                }
            case .jwt(let settings):
                if let keys = jwksSource(provider: name, settings: settings, problems: &problems) {
                    credentials[name] = .jwt(JWTVerifier(name: name, settings: settings, keys: keys))
                }
            }
        }
        let clients = ClientAddressResolver(trusted: config.trustedProxies.compactMap(AddressBlock.init))
        var result: [String: RouteAdmission] = [:]
        var usedAuth: Set<String> = []
        var usedLimits: Set<String> = []
        for method in methods where result[method.fullName] == nil {
            var requirement: RouteAdmission.Requirement?
            if let rule = Self.mostSpecific(config.auth.rules, selector: \.selector, for: method.fullName) {
                usedAuth.insert(rule.selector)
                if !rule.allowAnonymous {
                    requirement = .init(
                        credentials: rule.providers.compactMap { credentials[$0] },
                        requiresAll: rule.requiresAll
                    )
                }
            }
            var rateLimit: RouteAdmission.RateLimit?
            if let rule = Self.mostSpecific(config.rateLimits, selector: \.selector, for: method.fullName) {
                usedLimits.insert(rule.selector)
                rateLimit = .init(
                    buckets: TokenBuckets(rate: rule.requestsPerSecond, burst: rule.burst, maxKeys: rule.maxKeys),
                    key: rule.key
                )
            }
            result[method.fullName] = RouteAdmission(requirement: requirement, rateLimit: rateLimit, clients: clients)
        }
        // A selector may name a method a schema still to come brings.
        guard reflectionPending.isEmpty else { return result }
        for rule in config.auth.rules where !usedAuth.contains(rule.selector) {
            problems.append(
                ConfigProblem(path: "\(rule.yamlPath).selector", message: "no routed method matches \(rule.selector)")
            )
        }
        for rule in config.rateLimits where !usedLimits.contains(rule.selector) {
            problems.append(
                ConfigProblem(path: "\(rule.yamlPath).selector", message: "no routed method matches \(rule.selector)")
            )
        }
        return result
    }

    /// A `jwt` provider's keys: its file read and checked now, or its URL to fetch when needed.
    private func jwksSource(
        provider name: String,
        settings: GatewayConfig.JWTProvider,
        problems: inout [ConfigProblem]
    ) -> JWKSSource? {
        let path = "auth.providers.\(name).jwt.jwks"
        func resolved(_ file: String) -> String { file.hasPrefix("/") ? file : "\(baseDirectory)/\(file)" }
        switch settings.keys {
        case .file(let file):
            guard let data = FileManager.default.contents(atPath: resolved(file)) else {
                problems.append(ConfigProblem(path: "\(path).file", message: "cannot read \(resolved(file))"))
                return nil
            }
            do {
                return JWKSSource(provider: name, keys: try JWTKeySet(json: [UInt8](data)))
            } catch {
                problems.append(ConfigProblem(path: "\(path).file", message: "\(resolved(file)): \(error.message)"))
                return nil
            }
        case .url(let url, let refresh, let timeout, let caFile):
            do {
                return try JWKSSource(
                    provider: name,
                    url: url,
                    refreshInterval: .milliseconds(refresh),
                    timeout: .milliseconds(timeout),
                    caFile: caFile.map(resolved)
                )
            } catch {
                problems.append(ConfigProblem(path: "\(path).\(error.field ?? "url")", message: error.message))
                return nil
            }
        }
    }

    /// The rule whose selector matches `method` most specifically: the exact name, else the
    /// longest `prefix.*`, else `*`.
    static func mostSpecific<Rule>(_ rules: [Rule], selector: (Rule) -> String, for method: String) -> Rule? {
        if let exact = rules.first(where: { selector($0) == method }) { return exact }
        return rules.filter { wildcard(selector($0), matches: method) }.max { selector($0).count < selector($1).count }
    }
}
