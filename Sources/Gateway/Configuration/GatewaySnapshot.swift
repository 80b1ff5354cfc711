import Foundation
public import ProtoSchema
public import Routing
public import Transcoding

/// Everything a request needs that is decided once: descriptors, compiled routes, backend
/// assignment and options. Built and validated from a ``GatewayConfig``, then only read.
/// Reloading means building a new snapshot; requests in flight keep the one they started with.
/// A class: every request holds it, and sharing one reference costs one retain where copying a
/// struct of this many fields retained each of them.
public final class GatewaySnapshot: Sendable {
    /// The merged descriptor pool.
    public let pool: DescriptorPool
    /// Compiled routes.
    public let routes: RouteTable
    /// The configuration the snapshot was built from.
    public let config: GatewayConfig
    /// Backend name for each gRPC service that has routes.
    public let backendByService: [String: String]
    /// Services that have annotations but no backend, so no routes (reported by `portico check`).
    public let unservedServices: [String]
    /// JSON → protobuf for request bodies and URL bindings.
    public let requestTranscoder: RequestTranscoder
    /// protobuf → JSON for responses.
    public let responseTranscoder: ResponseTranscoder
    /// Header → metadata policy.
    public let headerPolicy: HeaderPolicy
    /// `backends.<name>.maxConcurrentRequests`, counted across every event loop.
    let concurrencyLimits: [String: ConcurrencyLimit]
    /// Retry policies of unary methods (the method's `retry`, else its backend's), by full name.
    let retryPolicies: [String: GatewayConfig.RetryPolicy]
    /// Retry throttles of the backends whose methods retry, shared by every event loop.
    let retryThrottles: [String: RetryThrottle]
    /// Transcoders of the methods whose `methods.<name>.json` overrides the global options.
    private let methodTranscoders: [String: (RequestTranscoder, ResponseTranscoder)]

    /// google.rpc's error types, added to the loaded sets when they lack them so that backend
    /// error details (`grpc-status-details-bin`) render whatever descriptors a user ships.
    static let builtinDescriptorSet: [UInt8] = Array(
        Data(base64Encoded: builtinDescriptorSetBase64, options: .ignoreUnknownCharacters) ?? Data()
    )

    /// Loads the descriptor sets named by `config` (relative to `baseDirectory`), compiles every
    /// route and checks every reference.
    /// - Throws: ``ConfigError`` listing every problem with its YAML path.
    public init(config: GatewayConfig, baseDirectory: String) throws(ConfigError) {
        var problems: [ConfigProblem] = []
        // TLS files are read and contexts built here, once, for every event loop to share.
        var config = config
        problems += config.loadTLS(baseDirectory: baseDirectory)
        var sets: [[UInt8]] = []
        for (i, path) in config.protos.enumerated() {
            let resolved = path.hasPrefix("/") ? path : "\(baseDirectory)/\(path)"
            if let data = FileManager.default.contents(atPath: resolved) {
                sets.append([UInt8](data))
            } else {
                problems.append(ConfigProblem(path: "protos[\(i)]", message: "cannot read descriptor set \(resolved)"))
            }
        }
        guard problems.isEmpty else {
            throw ConfigError(code: .invalid, message: "Gateway.yaml has problems", problems: problems)
        }
        let pool: DescriptorPool
        do {
            pool = try DescriptorPool(serializedSets: sets, fallbackSets: [Self.builtinDescriptorSet])
        } catch {
            throw ConfigError(
                code: .invalid,
                message: "Gateway.yaml has problems",
                problems: [ConfigProblem(path: "protos", message: error.description)]
            )
        }

        let assignment = Self.assignBackends(config: config, pool: pool, problems: &problems)
        for (name, settings) in config.methods where pool.method(named: name) == nil {
            problems.append(ConfigProblem(path: settings.yamlPath, message: "no method \"\(name)\" in the descriptor sets"))
        }
        let definitions = Self.routeDefinitions(config: config, pool: pool, backendByService: assignment.served, problems: &problems)
        var table: RouteTable?
        do {
            table = try RouteTable(definitions: definitions, pool: pool)
        } catch {
            for problem in error.problems {
                let isYAML = problem.source.hasPrefix("http.rules")
                problems.append(
                    ConfigProblem(
                        path: isYAML ? problem.source : "protos",
                        message: isYAML ? problem.message : "\(problem.source): \(problem.message)"
                    )
                )
            }
        }
        guard problems.isEmpty, let table else {
            throw ConfigError(code: .invalid, message: "Gateway.yaml has problems", problems: problems)
        }
        let options = Self.codecOptions(config.json)
        var methodTranscoders: [String: (RequestTranscoder, ResponseTranscoder)] = [:]
        for (name, settings) in config.methods where !settings.json.isEmpty {
            let methodOptions = Self.codecOptions(config.json.applying(settings.json))
            methodTranscoders[name] = (
                RequestTranscoder(pool: pool, options: methodOptions), ResponseTranscoder(pool: pool, options: methodOptions)
            )
        }
        self.methodTranscoders = methodTranscoders
        self.pool = pool
        self.routes = table
        self.config = config
        self.backendByService = assignment.served
        self.unservedServices = assignment.unserved
        self.requestTranscoder = RequestTranscoder(pool: pool, options: options)
        self.responseTranscoder = ResponseTranscoder(pool: pool, options: options)
        self.headerPolicy = HeaderPolicy(allow: config.headers.allow, deny: config.headers.deny)
        self.concurrencyLimits = config.backends.compactMapValues { $0.maxConcurrentRequests.map(ConcurrencyLimit.init(limit:)) }
        var retryPolicies: [String: GatewayConfig.RetryPolicy] = [:]
        var retryThrottles: [String: RetryThrottle] = [:]
        for method in pool.methods where method.kind == .unary {
            guard let backend = assignment.served[method.serviceFullName],
                let policy = config.methods[method.fullName]?.retry ?? config.backends[backend]?.retry,
                policy.maxAttempts > 1, !policy.codes.isEmpty
            else { continue }
            retryPolicies[method.fullName] = policy
            if retryThrottles[backend] == nil, let budget = config.backends[backend]?.retryBudget {
                retryThrottles[backend] = RetryThrottle(budget: budget)
            }
        }
        self.retryPolicies = retryPolicies
        self.retryThrottles = retryThrottles
    }

    /// Maps each service to a backend: an exact `services` entry wins over a `package.*` entry;
    /// with no `services` section and a single backend, that backend serves everything.
    private static func assignBackends(
        config: GatewayConfig,
        pool: DescriptorPool,
        problems: inout [ConfigProblem]
    ) -> (served: [String: String], unserved: [String]) {
        var served: [String: String] = [:]
        var unserved: [String] = []
        var usedPatterns: Set<String> = []
        for service in pool.services {
            var backend: String?
            if let exact = config.services.first(where: { $0.pattern == service.fullName }) {
                backend = exact.backend
                usedPatterns.insert(exact.pattern)
            } else if let wildcard = config.services.first(where: {
                $0.pattern.hasSuffix(".*") && service.fullName.hasPrefix(String($0.pattern.dropLast()))
            }) {
                backend = wildcard.backend
                usedPatterns.insert(wildcard.pattern)
            } else if config.services.isEmpty, config.backends.count == 1 {
                backend = config.backends.keys.first
            }
            if let backend {
                served[service.fullName] = backend
            } else if service.methods.contains(where: { $0.httpRule != nil }) {
                unserved.append(service.fullName)
            }
        }
        for entry in config.services where !usedPatterns.contains(entry.pattern) {
            problems.append(
                ConfigProblem(path: "services.\(entry.pattern)", message: "no service in the descriptor sets matches")
            )
        }
        return (served, unserved)
    }

    /// Flattens annotations and `http.rules` into route definitions; a YAML rule replaces the
    /// annotation of the method it selects.
    private static func routeDefinitions(
        config: GatewayConfig,
        pool: DescriptorPool,
        backendByService: [String: String],
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
                }
            }
        }
        return definitions
    }
}

extension GatewaySnapshot {
    /// Reads, parses and builds a snapshot from a `Gateway.yaml` path.
    /// - Throws: ``ConfigError`` with every problem found.
    public static func load(configPath: String) throws(ConfigError) -> GatewaySnapshot {
        let loaded = try GatewayConfig.load(path: configPath)
        return try GatewaySnapshot(config: loaded.config, baseDirectory: loaded.baseDirectory)
    }
}

extension GatewaySnapshot {
    /// The Content-Type of `route`'s raw `bytes` responses: `methods.<method>.rawContentType`,
    /// else `streaming.rawContentType`.
    func rawContentType(for route: Route) -> String {
        config.methods[route.method.fullName]?.rawContentType ?? config.streaming.rawContentType
    }
}

extension GatewaySnapshot {
    /// The codec options for JSON settings.
    static func codecOptions(_ json: GatewayConfig.JSONSettings) -> JSONCodecOptions {
        JSONCodecOptions(
            emitUnpopulated: json.emitUnpopulated,
            useProtoNames: json.useProtoNames,
            enumsAsInts: json.enumsAsInts,
            ignoreUnknownFields: !json.rejectUnknownFields,
            int64AsNumbers: json.int64AsNumbers
        )
    }

    /// The request transcoder for `route`'s method (its `methods.<name>.json`, else the global one).
    func requestTranscoder(for route: Route) -> RequestTranscoder {
        methodTranscoders.isEmpty ? requestTranscoder : methodTranscoders[route.method.fullName]?.0 ?? requestTranscoder
    }

    /// The response transcoder for `route`'s method.
    func responseTranscoder(for route: Route) -> ResponseTranscoder {
        methodTranscoders.isEmpty ? responseTranscoder : methodTranscoders[route.method.fullName]?.1 ?? responseTranscoder
    }
}
