import Upstream
import Yams

extension GatewayConfig {
    /// `backends:`: endpoints, deadline, balancing, passive ejection and concurrency limit per
    /// backend, every problem reported with its YAML path.
    ///
    /// ```yaml
    /// backends:
    ///   users:
    ///     endpoints: [10.0.0.5:50051, 10.0.0.6:50051]
    ///     timeout: 5s
    ///     balancing: least-outstanding       # or round-robin (default)
    ///     ejection: { afterFailures: 2, time: 5s, maxTime: 30s }
    ///     maxConcurrentRequests: 1000
    ///     tls: { ca: certs/ca.pem }          # see BackendTLS
    ///     dns: { refreshInterval: 5s }       # each address of a name is an endpoint
    ///     maxConnectionsPerEndpoint: 16      # per event loop, when streams run out
    ///     reflection: { refreshInterval: 5m } # or true: the schema from server reflection
    /// ```
    static func parseBackends(_ node: Node, reader: inout YAMLReader) -> [String: Backend] {
        var backends: [String: Backend] = [:]
        for (name, value) in reader.mapping(node, at: "backends") ?? [] {
            let path = "backends.\(name)"
            guard let fields = reader.mapping(value, at: path) else { continue }
            reader.rejectUnknownKeys(
                fields,
                known: [
                    "endpoints", "timeout", "balancing", "ejection", "maxConcurrentRequests", "tls", "healthCheck",
                    "retry", "retryBudget", "compressRequests", "keepalive", "idleTimeout", "maxResponseMetadataBytes",
                    "dns", "maxConnectionsPerEndpoint", "reflection",
                ],
                at: path
            )
            var backend = Backend(endpoints: [], timeoutMilliseconds: nil)
            for (key, item) in fields {
                switch key {
                case "endpoints":
                    for (i, endpoint) in (reader.sequence(item, at: "\(path).endpoints") ?? []).enumerated() {
                        if case .scalar(let scalar) = endpoint, scalar.string.hasPrefix("unix:") {
                            let socket = String(scalar.string.dropFirst("unix:".count))
                            if socket.isEmpty {
                                reader.report(
                                    "\(path).endpoints[\(i)]",
                                    "unix: needs a socket path (unix:/run/app.sock)",
                                    at: endpoint
                                )
                            } else {
                                backend.endpoints.append(UpstreamTarget(unixSocketPath: socket))
                            }
                        } else if let hostPort = reader.hostPort(endpoint, at: "\(path).endpoints[\(i)]") {
                            if hostPort.port == 0 {
                                reader.report("\(path).endpoints[\(i)]", "port 0 is not a backend port", at: endpoint)
                            }
                            backend.endpoints.append(UpstreamTarget(host: hostPort.host, port: hostPort.port))
                        }
                    }
                case "timeout":
                    backend.timeoutMilliseconds = reader.durationMilliseconds(item, at: "\(path).timeout")
                case "balancing":
                    guard let text = reader.string(item, at: "\(path).balancing") else { break }
                    if let balancing = Backend.Balancing(rawValue: text) {
                        backend.balancing = balancing
                    } else {
                        reader.report(
                            "\(path).balancing",
                            "unknown balancing \"\(text)\" (expected round-robin, least-outstanding)",
                            at: item
                        )
                    }
                case "ejection":
                    parseEjection(item, at: "\(path).ejection", into: &backend, reader: &reader)
                case "maxConcurrentRequests":
                    backend.maxConcurrentRequests = reader.int(
                        item,
                        at: "\(path).maxConcurrentRequests",
                        range: 1...10_000_000
                    )
                case "tls":
                    backend.tls = parseBackendTLS(item, at: "\(path).tls", reader: &reader)
                case "healthCheck":
                    backend.healthCheck = parseHealthCheck(item, at: "\(path).healthCheck", reader: &reader)
                case "retry":
                    backend.retry = parseRetryPolicy(item, at: "\(path).retry", reader: &reader)
                case "keepalive":
                    parseKeepalive(item, at: "\(path).keepalive", into: &backend, reader: &reader)
                case "maxResponseMetadataBytes":
                    if let n = reader.int(item, at: "\(path).maxResponseMetadataBytes", range: 1024...(1 << 24)) {
                        backend.maxResponseMetadataBytes = n
                    }
                case "dns":
                    parseDNS(item, at: "\(path).dns", into: &backend, reader: &reader)
                case "reflection":
                    backend.reflection = parseReflection(item, at: "\(path).reflection", reader: &reader)
                case "maxConnectionsPerEndpoint":
                    if let n = reader.int(item, at: "\(path).maxConnectionsPerEndpoint", range: 1...1000) {
                        backend.maxConnectionsPerEndpoint = n
                    }
                case "idleTimeout":
                    backend.idleTimeoutMilliseconds = reader.durationMilliseconds(item, at: "\(path).idleTimeout")
                case "compressRequests":
                    if let on = reader.bool(item, at: "\(path).compressRequests") { backend.compressRequests = on }
                case "retryBudget":
                    if let budget = parseRetryBudget(item, at: "\(path).retryBudget", reader: &reader) {
                        backend.retryBudget = budget
                    }
                default: break
                }
            }
            if backend.endpoints.isEmpty {
                reader.report("\(path).endpoints", "at least one endpoint is required", at: value)
            }
            backends[name] = backend
        }
        return backends
    }

    /// `keepalive: { interval: 5m, timeout: 10s }`, or `keepalive: true` (5 minutes) / `false`.
    private static func parseKeepalive(
        _ node: Node,
        at path: String,
        into backend: inout Backend,
        reader: inout YAMLReader
    ) {
        if case .scalar = node {
            if let on = reader.bool(node, at: path) { backend.keepaliveIntervalMilliseconds = on ? 300_000 : nil }
            return
        }
        guard let fields = reader.mapping(node, at: path) else { return }
        reader.rejectUnknownKeys(fields, known: ["interval", "timeout"], at: path)
        for (key, item) in fields {
            switch key {
            case "interval":
                backend.keepaliveIntervalMilliseconds = reader.durationMilliseconds(item, at: "\(path).interval")
            case "timeout":
                if let ms = reader.durationMilliseconds(item, at: "\(path).timeout") {
                    backend.keepaliveTimeoutMilliseconds = ms
                }
            default: break
            }
        }
    }

    /// `reflection: { refreshInterval: 5m }`, or `reflection: true` (every 5 minutes) / `false`.
    private static func parseReflection(_ node: Node, at path: String, reader: inout YAMLReader) -> Backend.Reflection?
    {
        let interval = refreshInterval(node, at: path, defaultMilliseconds: 300_000, minimum: 100, reader: &reader)
        return interval.map {
            var reflection = Backend.Reflection()
            reflection.refreshIntervalMilliseconds = $0
            return reflection
        }
    }

    /// `dns: { refreshInterval: 5s }`, or `dns: true` (every 5 seconds) / `false`.
    private static func parseDNS(_ node: Node, at path: String, into backend: inout Backend, reader: inout YAMLReader) {
        backend.dnsRefreshMilliseconds = refreshInterval(
            node,
            at: path,
            defaultMilliseconds: 5_000,
            minimum: 10,
            reader: &reader
        )
    }

    /// A switch with a period: `true` (the default interval), `false` (nil), or
    /// `{ refreshInterval: <duration> }` of at least `minimum` milliseconds.
    private static func refreshInterval(
        _ node: Node,
        at path: String,
        defaultMilliseconds: Int64,
        minimum: Int64,
        reader: inout YAMLReader
    ) -> Int64? {
        if case .scalar = node {
            return reader.bool(node, at: path) == true ? defaultMilliseconds : nil
        }
        guard let fields = reader.mapping(node, at: path) else { return nil }
        reader.rejectUnknownKeys(fields, known: ["refreshInterval"], at: path)
        var interval = defaultMilliseconds
        for (key, item) in fields where key == "refreshInterval" {
            guard let ms = reader.durationMilliseconds(item, at: "\(path).refreshInterval") else { continue }
            if ms < minimum {
                reader.report("\(path).refreshInterval", "must be at least \(minimum)ms", at: item)
            } else {
                interval = ms
            }
        }
        return interval
    }

    private static func parseHealthCheck(
        _ node: Node,
        at path: String,
        reader: inout YAMLReader
    ) -> Backend.HealthCheck? {
        guard let fields = reader.mapping(node, at: path) else { return nil }
        reader.rejectUnknownKeys(
            fields,
            known: ["interval", "timeout", "unhealthyThreshold", "healthyThreshold", "service"],
            at: path
        )
        var check = Backend.HealthCheck()
        for (key, item) in fields {
            let keyPath = "\(path).\(key)"
            switch key {
            case "interval":
                if let ms = reader.durationMilliseconds(item, at: keyPath) { check.intervalMilliseconds = ms }
            case "timeout":
                if let ms = reader.durationMilliseconds(item, at: keyPath) { check.timeoutMilliseconds = ms }
            case "unhealthyThreshold":
                if let n = reader.int(item, at: keyPath, range: 1...100) { check.unhealthyThreshold = n }
            case "healthyThreshold":
                if let n = reader.int(item, at: keyPath, range: 1...100) { check.healthyThreshold = n }
            case "service": if let name = reader.string(item, at: keyPath) { check.service = name }
            default: break
            }
        }
        return check
    }

    private static func parseEjection(
        _ node: Node,
        at path: String,
        into backend: inout Backend,
        reader: inout YAMLReader
    ) {
        guard let fields = reader.mapping(node, at: path) else { return }
        reader.rejectUnknownKeys(fields, known: ["afterFailures", "time", "maxTime"], at: path)
        for (key, item) in fields {
            switch key {
            case "afterFailures":
                if let n = reader.int(item, at: "\(path).afterFailures", range: 1...1000) {
                    backend.ejectAfterFailures = n
                }
            case "time":
                if let ms = reader.durationMilliseconds(item, at: "\(path).time") { backend.ejectionMilliseconds = ms }
            case "maxTime":
                if let ms = reader.durationMilliseconds(item, at: "\(path).maxTime") {
                    backend.maxEjectionMilliseconds = ms
                }
            default: break
            }
        }
        if backend.maxEjectionMilliseconds < backend.ejectionMilliseconds {
            reader.report("\(path).maxTime", "must not be shorter than time", at: node)
        }
    }
}
