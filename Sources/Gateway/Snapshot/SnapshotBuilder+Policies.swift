import ProtoSchema

/// Compiling `auth` and `rateLimits` into one ``RouteAdmission`` per method: providers read once
/// (their key files), each method's most specific rule of each kind, fresh buckets per method.
extension SnapshotBuilder {
    /// The admission of every method of `methods` that has something to check, by full name.
    func admissions(for methods: [MethodDescriptor], problems: inout [ConfigProblem]) -> [String: RouteAdmission] {
        guard !config.auth.rules.isEmpty || !config.rateLimits.isEmpty else { return [:] }
        var verifiers: [String: APIKeyVerifier] = [:]
        for (name, provider) in config.auth.providers.sorted(by: { $0.key < $1.key }) {
            switch provider {
            case .apiKey(let settings):
                do {
                    verifiers[name] = try APIKeyVerifier(name: name, settings: settings, baseDirectory: baseDirectory)
                } catch {
                    problems += error.problems
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
                        verifiers: rule.providers.compactMap { verifiers[$0] },
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

    /// The rule whose selector matches `method` most specifically: the exact name, else the
    /// longest `prefix.*`, else `*`.
    static func mostSpecific<Rule>(_ rules: [Rule], selector: (Rule) -> String, for method: String) -> Rule? {
        if let exact = rules.first(where: { selector($0) == method }) { return exact }
        return rules.filter { wildcard(selector($0), matches: method) }.max { selector($0).count < selector($1).count }
    }
}
