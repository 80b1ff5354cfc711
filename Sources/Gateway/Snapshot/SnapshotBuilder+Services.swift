import ProtoSchema
import Routing

/// Which backend serves which service, and the route definitions of the served ones.
extension SnapshotBuilder {
    /// Maps each service to a backend: an exact `services` entry wins over the longest matching
    /// `package.*` entry, which wins over `*`; then the backend whose reflection offered the
    /// service (two offering one, with no `services` entry to choose, is a problem naming both);
    /// with no `services` section and a single backend, that backend serves everything.
    func assignBackends(
        pool: DescriptorPool,
        problems: inout [ConfigProblem]
    ) -> (served: [String: String], unserved: [String]) {
        var offeredBy: [String: [String]] = [:]
        for (backend, schema) in reflected.sorted(by: { $0.key < $1.key }) {
            for service in schema.services { offeredBy[service, default: []].append(backend) }
        }
        var served: [String: String] = [:]
        var unserved: [String] = []
        var usedPatterns: Set<String> = []
        for service in pool.services {
            var backend: String?
            if let exact = config.services.first(where: { $0.pattern == service.fullName }) {
                backend = exact.backend
                usedPatterns.insert(exact.pattern)
            } else if let wildcard = config.services.filter({ Self.wildcard($0.pattern, matches: service.fullName) })
                .max(by: { $0.pattern.count < $1.pattern.count })
            {
                // The longest prefix is the most specific.
                backend = wildcard.backend
                usedPatterns.insert(wildcard.pattern)
            } else if let offering = offeredBy[service.fullName] {
                if offering.count > 1 {
                    problems.append(
                        ConfigProblem(
                            path: "backends.\(offering[1]).reflection",
                            message: "service \(service.fullName) is offered by backends "
                                + "\(offering.map { "\"\($0)\"" }.joined(separator: " and ")) (reflection); "
                                + "choose one under services"
                        )
                    )
                }
                backend = offering[0]
            } else if config.services.isEmpty, config.backends.count == 1 {
                backend = config.backends.keys.first
            }
            if let backend {
                served[service.fullName] = backend
            } else if service.methods.contains(where: { $0.httpRule != nil }) {
                unserved.append(service.fullName)
            }
        }
        // An entry may name a service a schema still to come brings.
        for entry in config.services where !usedPatterns.contains(entry.pattern) && reflectionPending.isEmpty {
            problems.append(
                ConfigProblem(path: "services.\(entry.pattern)", message: "no service in the descriptor sets matches")
            )
        }
        return (served, unserved)
    }

    /// Flattens annotations and `http.rules` into route definitions; a YAML rule replaces the
    /// annotation of the method it selects. While `awaitingReflection`, a rule whose method is
    /// not known yet is left out instead of being a problem.
    static func routeDefinitions(
        config: GatewayConfig,
        pool: DescriptorPool,
        backendByService: [String: String],
        awaitingReflection: Bool = false,
        problems: inout [ConfigProblem]
    ) -> [RouteDefinition] {
        var definitions: [RouteDefinition] = []
        let overridden = Set(config.httpRules.map(\.rule.selector))
        func add(_ rule: HttpRule, method: MethodDescriptor, source: String) {
            let json = config.methods[method.fullName].map { config.json.applying($0.json) } ?? config.json
            let strict = json.rejectUnknownQueryParameters ?? json.rejectUnknownFields
            definitions.append(
                RouteDefinition(
                    method: method,
                    verb: rule.verb,
                    pathTemplate: rule.path,
                    body: rule.body,
                    responseBody: rule.responseBody,
                    source: source,
                    rejectUnknownQueryParameters: strict
                )
            )
            for (i, binding) in rule.additionalBindings.enumerated() {
                add(binding, method: method, source: "\(source).additional_bindings[\(i)]")
            }
        }
        for yamlRule in config.httpRules {
            guard let method = pool.method(named: yamlRule.rule.selector) else {
                // Left out until the schemas from reflection arrive, then checked.
                if awaitingReflection { continue }
                problems.append(
                    ConfigProblem(
                        path: "\(yamlRule.yamlPath).selector",
                        message: "no method \"\(yamlRule.rule.selector)\" in the descriptor sets"
                    )
                )
                continue
            }
            guard backendByService[method.serviceFullName] != nil else {
                problems.append(
                    ConfigProblem(
                        path: "\(yamlRule.yamlPath).selector",
                        message: "service \(method.serviceFullName) has no backend (add it under services)"
                    )
                )
                continue
            }
            add(yamlRule.rule, method: method, source: yamlRule.yamlPath)
        }
        for service in pool.services where backendByService[service.fullName] != nil {
            for method in service.methods where !overridden.contains(method.fullName) {
                if let rule = method.httpRule {
                    add(rule, method: method, source: "\(service.file): \(method.fullName)")
                } else if config.autoMapping {
                    // gRPC's own path, so a client can derive it from the method's name.
                    let rule = HttpRule(verb: "POST", path: "/\(service.fullName)/\(method.name)", body: "*")
                    add(rule, method: method, source: "\(autoMappingSource): \(method.fullName)")
                }
            }
        }
        return definitions
    }

    /// The ``Route/source`` prefix of routes `http.autoMapping` made.
    static let autoMappingSource = "http.autoMapping"

    /// Whether a `services` wildcard entry matches a service: `*` matches every service (those of
    /// `.proto` files without a `package` too), `pkg.*` every service whose name starts `pkg.`.
    static func wildcard(_ pattern: String, matches service: String) -> Bool {
        if pattern == "*" { return true }
        return pattern.hasSuffix(".*") && service.hasPrefix(pattern.dropLast())
    }
}
