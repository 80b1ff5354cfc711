import NIOHTTP1
import ProtoSchema
import Upstream

/// `GET /config`: the effective configuration.
extension AdminEndpoints {
    /// The configuration of the snapshot new requests use, every default filled in, keys as
    /// `Gateway.yaml` spells them, durations in milliseconds (`…Ms`). TLS settings show file
    /// paths only: no certificate, key or other file content is ever written.
    func config() -> AdminResponse {
        .json(.ok, Self.json(server.snapshot.config))
    }

    /// `config` as JSON.
    static func json(_ config: GatewayConfig) -> AdminJSON {
        let cors: AdminJSON = config.cors.map { json($0) } ?? .null
        return .object([
            ("listen", .string(config.listen.description)),
            ("admin", config.admin.map { .object([("listen", .string($0.listen.description))]) } ?? .null),
            ("eventLoops", config.eventLoops.map { .int($0) } ?? .null),
            ("watch", .bool(config.watch)),
            ("shutdown", .object([("gracePeriodMs", .int(config.shutdown.gracePeriodMilliseconds))])),
            (
                "logging",
                .object([
                    ("access", .bool(config.logging.access)),
                    ("format", .string(config.logging.format.rawValue)),
                    ("level", .string(config.logging.level)),
                ])
            ),
            ("metrics", .object([("enabled", .bool(config.metricsEnabled))])),
            ("protos", .strings(config.protos)),
            ("protoPaths", .strings(config.protoPaths)),
            ("protoc", config.protoc.map { .string($0) } ?? .null),
            ("backends", .object(config.backends.sorted { $0.key < $1.key }.map { ($0.key, json($0.value)) })),
            ("services", .object(config.services.map { ($0.pattern, .string($0.backend)) })),
            (
                "http",
                .object([
                    ("rules", .array(config.httpRules.map { json($0.rule) })),
                    ("autoMapping", .bool(config.autoMapping)),
                ])
            ),
            ("json", json(config.json)),
            (
                "headers",
                .object([
                    ("allow", config.headers.allow.map { .strings($0.sorted()) } ?? .null),
                    ("deny", .strings(config.headers.deny.sorted())),
                ])
            ),
            (
                "limits",
                .object([
                    ("maxRequestBodyBytes", .int(config.limits.maxRequestBodyBytes)),
                    ("idleTimeoutMs", .int(config.limits.idleTimeoutMilliseconds)),
                    ("requestReadTimeoutMs", .int(config.limits.requestReadTimeoutMilliseconds)),
                ])
            ),
            (
                "streaming",
                .object([
                    ("envelope", .bool(config.streaming.envelope)),
                    ("maxMessageBytes", .int(config.streaming.maxMessageBytes)),
                    ("bufferBytes", .int(config.streaming.bufferBytes)),
                    ("rawContentType", .string(config.streaming.rawContentType)),
                ])
            ),
            ("methods", .object(config.methods.sorted { $0.key < $1.key }.map { ($0.key, json($0.value)) })),
            (
                "compression",
                .object([
                    ("enabled", .bool(config.compression.enabled)),
                    ("minBytes", .int(config.compression.minBytes)),
                    ("level", .int(config.compression.level)),
                ])
            ),
            // Paths only: the key file's content never leaves the process.
            ("tls", config.tls.map { .object([("cert", .string($0.cert)), ("key", .string($0.key))]) } ?? .null),
            ("cors", cors),
        ])
    }

    private static func json(_ backend: GatewayConfig.Backend) -> AdminJSON {
        .object([
            ("endpoints", .strings(backend.endpoints.map(\.description))),
            ("timeoutMs", backend.timeoutMilliseconds.map { .int($0) } ?? .null),
            ("balancing", .string(backend.balancing.rawValue)),
            (
                "ejection",
                .object([
                    ("afterFailures", .int(backend.ejectAfterFailures)),
                    ("timeMs", .int(backend.ejectionMilliseconds)),
                    ("maxTimeMs", .int(backend.maxEjectionMilliseconds)),
                ])
            ),
            ("maxConcurrentRequests", backend.maxConcurrentRequests.map { .int($0) } ?? .null),
            ("maxConnectionsPerEndpoint", .int(backend.maxConnectionsPerEndpoint)),
            ("dns", backend.dnsRefreshMilliseconds.map { .object([("refreshIntervalMs", .int($0))]) } ?? .null),
            (
                "tls",
                backend.tls.map { tls in
                    .object([
                        ("ca", .optional(tls.ca)),
                        ("cert", .optional(tls.cert)),
                        ("key", .optional(tls.key)),
                        ("serverName", .optional(tls.serverName)),
                        ("insecureSkipVerify", .bool(tls.insecureSkipVerify)),
                    ])
                } ?? .null
            ),
            (
                "healthCheck",
                backend.healthCheck.map { check in
                    .object([
                        ("intervalMs", .int(check.intervalMilliseconds)),
                        ("timeoutMs", .int(check.timeoutMilliseconds)),
                        ("unhealthyThreshold", .int(check.unhealthyThreshold)),
                        ("healthyThreshold", .int(check.healthyThreshold)),
                        ("service", .string(check.service)),
                    ])
                } ?? .null
            ),
            ("retry", backend.retry.map(json) ?? .null),
            (
                "retryBudget",
                .object([
                    ("maxTokens", .int(backend.retryBudget.maxTokens)),
                    ("tokenRatio", .double(backend.retryBudget.tokenRatio)),
                ])
            ),
            ("compressRequests", .bool(backend.compressRequests)),
            (
                "keepalive",
                backend.keepaliveIntervalMilliseconds.map {
                    .object([("intervalMs", .int($0)), ("timeoutMs", .int(backend.keepaliveTimeoutMilliseconds))])
                } ?? .null
            ),
            ("idleTimeoutMs", backend.idleTimeoutMilliseconds.map { .int($0) } ?? .null),
            ("maxResponseMetadataBytes", .int(backend.maxResponseMetadataBytes)),
        ])
    }

    private static func json(_ policy: GatewayConfig.RetryPolicy) -> AdminJSON {
        .object([
            ("maxAttempts", .int(policy.maxAttempts)),
            ("backoffMs", .int(policy.backoffMilliseconds)),
            ("maxBackoffMs", .int(policy.maxBackoffMilliseconds)),
            ("codes", .strings(policy.codes.map(\.name).sorted())),
        ])
    }

    private static func json(_ json: GatewayConfig.JSONSettings) -> AdminJSON {
        .object([
            ("emitUnpopulated", .bool(json.emitUnpopulated)),
            ("useProtoNames", .bool(json.useProtoNames)),
            ("enumsAsInts", .bool(json.enumsAsInts)),
            ("int64AsNumbers", .bool(json.int64AsNumbers)),
            ("rejectUnknownFields", .bool(json.rejectUnknownFields)),
            ("rejectUnknownQueryParameters", .bool(json.rejectUnknownQueryParameters ?? json.rejectUnknownFields)),
        ])
    }

    private static func json(_ settings: GatewayConfig.MethodSettings) -> AdminJSON {
        var members: [(String, AdminJSON)] = [("rawContentType", .optional(settings.rawContentType))]
        let overrides: [(String, Bool?)] = [
            ("emitUnpopulated", settings.json.emitUnpopulated), ("useProtoNames", settings.json.useProtoNames),
            ("enumsAsInts", settings.json.enumsAsInts), ("int64AsNumbers", settings.json.int64AsNumbers),
            ("rejectUnknownFields", settings.json.rejectUnknownFields),
            ("rejectUnknownQueryParameters", settings.json.rejectUnknownQueryParameters),
        ]
        members.append(("json", .object(overrides.compactMap { name, value in value.map { (name, .bool($0)) } })))
        members.append(("retry", settings.retry.map(json) ?? .null))
        members.append(("timeoutMs", settings.timeoutMilliseconds.map { .int($0) } ?? .null))
        members.append(("cors", settings.cors.map(json) ?? .null))
        return .object(members)
    }

    private static func json(_ cors: GatewayConfig.CORSSettings) -> AdminJSON {
        let methods: AdminJSON = cors.allowMethods.map { AdminJSON.strings($0) } ?? .null
        return .object([
            ("allowOrigins", .strings(cors.allowOrigins)),
            ("allowMethods", methods),
            ("allowHeaders", .strings(cors.allowHeaders)),
            ("exposeHeaders", .strings(cors.exposeHeaders)),
            ("allowCredentials", .bool(cors.allowCredentials)),
            ("maxAgeSeconds", .int(cors.maxAgeSeconds)),
        ])
    }

    private static func json(_ rule: HttpRule) -> AdminJSON {
        .object([
            ("selector", .string(rule.selector)),
            ("verb", .string(rule.verb)),
            ("path", .string(rule.path)),
            ("body", .string(rule.body)),
            ("response_body", .string(rule.responseBody)),
            ("additional_bindings", .array(rule.additionalBindings.map(json))),
        ])
    }
}
