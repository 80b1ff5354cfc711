import ProtoSchema
import Yams

extension GatewayConfig {
    /// Top-level keys of `Gateway.yaml`:
    ///
    /// | key | type | default |
    /// |---|---|---|
    /// | `listen` | `host:port` | `0.0.0.0:8080` |
    /// | `protos` | list of descriptor sets, `.proto` files and folders of them | required unless a backend has `reflection` |
    /// | `protoPaths` | list of folders for the `.proto` files' imports | none |
    /// | `protoc` | path of the `protoc` that compiles `.proto` entries | `protoc` on `PATH` |
    /// | `backends.<name>.endpoints` | list of `host:port` | required |
    /// | `backends.<name>.timeout` | duration (`10s`, `250ms`) | none |
    /// | `backends.<name>.reflection` | `true` or `{refreshInterval}`: services and schemas from gRPC server reflection | off |
    /// | `services.<pkg.Service or pkg.*>` | backend name | the only backend, if there is one |
    /// | `http.rules` | google.api.Service HTTP rules | none |
    /// | `json.emitUnpopulated` / `useProtoNames` / `enumsAsInts` / `int64AsNumbers` | bool | false |
    /// | `json.rejectUnknownFields` | bool | true |
    /// | `json.rejectUnknownQueryParameters` | bool: unknown query parameters are a 400 | `json.rejectUnknownFields` |
    /// | `headers.allow` / `headers.deny` | list of header names | forward all end-to-end headers |
    /// | `limits.maxRequestBodyBytes` | int | 4194304 |
    /// | `streaming.envelope` | bool: wrap streamed messages as `{"result": ...}` | false |
    /// | `streaming.maxMessageBytes` | int: largest JSON value in a streamed body | 4194304 |
    /// | `streaming.bufferBytes` | int: per-stream buffer before backpressure | 262144 |
    /// | `streaming.rawContentType` | Content-Type of raw `bytes` responses | application/octet-stream |
    /// | `methods.<pkg.Service.Method>.rawContentType` | Content-Type of that method's raw `bytes` responses | `streaming.rawContentType` |
    /// | `methods.<pkg.Service.Method>.json.*` | that method's JSON options (same keys as `json`) | the global `json` |
    /// | `compression.enabled` / `minBytes` / `level` | bool / int / int 1–9: gzip complete responses to `Accept-Encoding: gzip` | true / 1024 / 6 |
    /// | `eventLoops` | int | number of cores |
    /// | `tls.cert` / `tls.key` | PEM files: serve HTTPS on `listen` | plain HTTP |
    /// | `admin.listen` / `shutdown.gracePeriod` / `watch` / `openapi.path` | see `GatewayConfig+Operations.swift` | none / 25s / false / none |
    /// | `backends.<name>.tls` | `{ca, cert, key, serverName, insecureSkipVerify}` or `true` | h2c |
    /// | `auth.providers` / `auth.rules` | see `GatewayConfig+Auth.swift` | none |
    /// | `rateLimits` / `trustedProxies` | see `GatewayConfig+RateLimits.swift` | none |
    /// | `logging.access` / `format` / `level` | bool / `json`, `text` / log level | false / text / info |
    /// | `cors` (and `methods.<pkg.Service.Method>.cors`) | see `GatewayConfig+CORS.swift` | none |
    static let topLevelKeys: Set<String> = [
        "listen", "protos", "protoPaths", "protoc", "backends", "services", "http", "json", "headers", "limits",
        "streaming", "methods",
        "eventLoops", "tls", "compression", "admin", "shutdown", "watch", "logging", "metrics", "openapi",
        "auth", "rateLimits", "trustedProxies",
        "cors",
    ]

    /// Decodes `Gateway.yaml` text, reporting every problem with its YAML path.
    /// - Throws: ``ConfigError`` listing all problems.
    public static func parse(yaml text: String) throws(ConfigError) -> GatewayConfig {
        let root: Node?
        do {
            root = try Yams.compose(yaml: text)
        } catch {
            throw ConfigError(code: .unreadable, message: "the configuration is not valid YAML", cause: error)
        }
        var reader = YAMLReader()
        var config = GatewayConfig.defaults
        guard let root, let entries = reader.mapping(root, at: "") else {
            throw ConfigError(
                code: .invalid,
                message: "the configuration must be a mapping",
                problems: reader.problems.isEmpty
                    ? [ConfigProblem(path: "", message: "empty document")] : reader.problems
            )
        }
        reader.rejectUnknownKeys(entries, known: topLevelKeys, at: "")
        var sawProtos = false
        for (key, value) in entries {
            switch key {
            case "listen":
                if let listen = reader.hostPort(value, at: key) { config.listen = listen }
            case "protos":
                sawProtos = true
                for (i, item) in (reader.sequence(value, at: key) ?? []).enumerated() {
                    if let path = reader.string(item, at: "protos[\(i)]") { config.protos.append(path) }
                }
            case "protoPaths":
                for (i, item) in (reader.sequence(value, at: key) ?? []).enumerated() {
                    if let path = reader.string(item, at: "protoPaths[\(i)]") { config.protoPaths.append(path) }
                }
            case "protoc": config.protoc = reader.string(value, at: key)
            case "backends": config.backends = parseBackends(value, reader: &reader)
            case "services": config.services = parseServices(value, reader: &reader)
            case "http": (config.httpRules, config.autoMapping) = parseHttp(value, reader: &reader)
            case "json": config.json = config.json.applying(parseJSON(value, at: key, reader: &reader))
            case "headers": parseHeaders(value, into: &config.headers, reader: &reader)
            case "limits":
                for (limit, node) in reader.mapping(value, at: key) ?? [] {
                    let path = "limits.\(limit)"
                    switch limit {
                    case "maxRequestBodyBytes":
                        if let n = reader.int(node, at: path, range: 1...(1 << 34)) {
                            config.limits.maxRequestBodyBytes = n
                        }
                    case "idleTimeout":
                        if let ms = reader.durationMilliseconds(node, at: path) {
                            config.limits.idleTimeoutMilliseconds = ms
                        }
                    case "requestReadTimeout":
                        if let ms = reader.durationMilliseconds(node, at: path) {
                            config.limits.requestReadTimeoutMilliseconds = ms
                        }
                    default:
                        reader.report(
                            path,
                            "unknown key \"\(limit)\" (expected idleTimeout, maxRequestBodyBytes, requestReadTimeout)",
                            at: node
                        )
                    }
                }
            case "streaming": parseStreaming(value, into: &config.streaming, reader: &reader)
            case "methods": config.methods = parseMethods(value, reader: &reader)
            case "eventLoops": config.eventLoops = reader.int(value, at: key, range: 1...256)
            case "tls": config.tls = parseListenerTLS(value, reader: &reader)
            case "compression": parseCompression(value, into: &config.compression, reader: &reader)
            case "admin", "shutdown", "watch", "openapi": parseOperations(key, value, into: &config, reader: &reader)
            case "logging": parseLogging(value, into: &config.logging, reader: &reader)
            case "metrics": parseMetrics(value, into: &config.metricsEnabled, reader: &reader)
            case "auth": config.auth = parseAuth(value, reader: &reader)
            case "rateLimits": config.rateLimits = parseRateLimits(value, reader: &reader)
            case "trustedProxies": config.trustedProxies = parseTrustedProxies(value, reader: &reader)
            case "cors": config.cors = parseCORS(value, at: key, reader: &reader)
            default: break
            }
        }
        let reflects = config.backends.values.contains { $0.reflection != nil }
        if (!sawProtos || config.protos.isEmpty) && !reflects {
            reader.report(
                "protos",
                "at least one descriptor set or .proto file is required (or a backend with reflection: true)",
                at: nil
            )
        }
        if config.backends.isEmpty {
            reader.report("backends", "at least one backend is required", at: nil)
        }
        for entry in config.services where config.backends[entry.backend] == nil {
            reader.report("services.\(entry.pattern)", "unknown backend \"\(entry.backend)\"", at: nil)
        }
        guard reader.problems.isEmpty else {
            throw ConfigError.invalid(reader.problems)
        }
        return config
    }

    private static func parseCompression(
        _ node: Node,
        into settings: inout CompressionSettings,
        reader: inout YAMLReader
    ) {
        for (key, value) in reader.mapping(node, at: "compression") ?? [] {
            let path = "compression.\(key)"
            switch key {
            case "enabled": if let on = reader.bool(value, at: path) { settings.enabled = on }
            case "minBytes": if let n = reader.int(value, at: path, range: 0...(1 << 30)) { settings.minBytes = n }
            case "level": if let n = reader.int(value, at: path, range: 1...9) { settings.level = n }
            default: reader.report(path, "unknown key \"\(key)\" (expected enabled, level, minBytes)", at: value)
            }
        }
    }

    private static func parseServices(_ node: Node, reader: inout YAMLReader) -> [(pattern: String, backend: String)] {
        var services: [(pattern: String, backend: String)] = []
        for (pattern, value) in reader.mapping(node, at: "services") ?? [] {
            if let backend = reader.string(value, at: "services.\(pattern)") {
                services.append((pattern, backend))
            }
        }
        return services
    }

    private static func parseJSON(_ node: Node, at path: String, reader: inout YAMLReader) -> JSONOverrides {
        var json = JSONOverrides()
        for (key, value) in reader.mapping(node, at: path) ?? [] {
            let keyPath = "\(path).\(key)"
            switch key {
            case "emitUnpopulated": json.emitUnpopulated = reader.bool(value, at: keyPath)
            case "useProtoNames": json.useProtoNames = reader.bool(value, at: keyPath)
            case "enumsAsInts": json.enumsAsInts = reader.bool(value, at: keyPath)
            case "int64AsNumbers": json.int64AsNumbers = reader.bool(value, at: keyPath)
            case "rejectUnknownFields": json.rejectUnknownFields = reader.bool(value, at: keyPath)
            case "rejectUnknownQueryParameters": json.rejectUnknownQueryParameters = reader.bool(value, at: keyPath)
            default:
                reader.report(
                    keyPath,
                    "unknown key \"\(key)\" (expected emitUnpopulated, enumsAsInts, int64AsNumbers, rejectUnknownFields, rejectUnknownQueryParameters, useProtoNames)",
                    at: value
                )
            }
        }
        return json
    }

    private static func parseStreaming(_ node: Node, into streaming: inout StreamingSettings, reader: inout YAMLReader)
    {
        for (key, value) in reader.mapping(node, at: "streaming") ?? [] {
            let path = "streaming.\(key)"
            switch key {
            case "envelope": streaming.envelope = reader.bool(value, at: path) ?? streaming.envelope
            case "maxMessageBytes":
                streaming.maxMessageBytes =
                    reader.int(value, at: path, range: 1...(1 << 30)) ?? streaming.maxMessageBytes
            case "bufferBytes":
                streaming.bufferBytes = reader.int(value, at: path, range: 1024...(1 << 30)) ?? streaming.bufferBytes
            case "rawContentType": streaming.rawContentType = reader.string(value, at: path) ?? streaming.rawContentType
            default:
                reader.report(
                    path,
                    "unknown key \"\(key)\" (expected bufferBytes, envelope, maxMessageBytes, rawContentType)",
                    at: value
                )
            }
        }
    }

    private static func parseMethods(_ node: Node, reader: inout YAMLReader) -> [String: MethodSettings] {
        var methods: [String: MethodSettings] = [:]
        for (name, value) in reader.mapping(node, at: "methods") ?? [] {
            let path = "methods.\(name)"
            var settings = MethodSettings(rawContentType: nil, yamlPath: path)
            for (key, item) in reader.mapping(value, at: path) ?? [] {
                switch key {
                case "rawContentType": settings.rawContentType = reader.string(item, at: "\(path).\(key)")
                case "json": settings.json = parseJSON(item, at: "\(path).json", reader: &reader)
                case "retry": settings.retry = parseRetryPolicy(item, at: "\(path).retry", reader: &reader)
                case "timeout": settings.timeoutMilliseconds = reader.durationMilliseconds(item, at: "\(path).timeout")
                case "cors": settings.cors = parseCORS(item, at: "\(path).cors", reader: &reader)
                default:
                    reader.report(
                        "\(path).\(key)",
                        "unknown key \"\(key)\" (expected cors, json, rawContentType, retry, timeout)",
                        at: item
                    )
                }
            }
            methods[name] = settings
        }
        return methods
    }

    private static func parseHeaders(_ node: Node, into headers: inout HeaderSettings, reader: inout YAMLReader) {
        for (key, value) in reader.mapping(node, at: "headers") ?? [] {
            let path = "headers.\(key)"
            var names: Set<String> = []
            for (i, item) in (reader.sequence(value, at: path) ?? []).enumerated() {
                if let name = reader.string(item, at: "\(path)[\(i)]") { names.insert(name.lowercased()) }
            }
            switch key {
            case "allow": headers.allow = names
            case "deny": headers.deny = names
            default: reader.report(path, "unknown key \"\(key)\" (expected allow, deny)", at: value)
            }
        }
    }
}
