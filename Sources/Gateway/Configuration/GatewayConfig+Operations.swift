import Yams

/// The keys that operate a running gateway rather than route requests:
///
/// | key | type | default |
/// |---|---|---|
/// | `admin.listen` | `host:port` of the admin listener (`/healthz`, `/readyz`, `/metrics`, `/routes`, `/config`, `/reload`) | no admin listener |
/// | `shutdown.gracePeriod` | duration: how long calls in flight may finish after SIGTERM/SIGINT | 25s |
/// | `watch` | bool: reload when the file or a descriptor set it names changes | false |
/// | `openapi.path` | where the data listener serves the OpenAPI document (GET, HEAD) | admin listener only |
///
/// ```yaml
/// admin: { listen: 127.0.0.1:9901 }
/// shutdown: { gracePeriod: 25s }
/// watch: true
/// openapi: { path: /openapi.json }
/// ```
extension GatewayConfig {
    /// `admin:` the admin listener, plain HTTP/1.1 on its own port. Bind it to loopback (or a
    /// port only the orchestrator reaches): `POST /reload` changes the running gateway.
    public struct AdminSettings: Sendable, Equatable {
        /// Where the admin listener listens.
        public var listen: HostPort

        /// Creates the settings.
        public init(listen: HostPort) {
            self.listen = listen
        }
    }

    /// `shutdown:` what SIGTERM/SIGINT does: the gateway drains (no new connections, `/readyz`
    /// 503, `Connection: close` on responses) and lets calls in flight finish for
    /// ``gracePeriodMilliseconds``, then cancels what is left and exits.
    public struct ShutdownSettings: Sendable, Equatable {
        /// How long calls and streams in flight may finish; the default (25 s) stays under
        /// Kubernetes' 30-second `terminationGracePeriodSeconds`.
        public var gracePeriodMilliseconds: Int64 = 25_000

        /// Creates the default settings.
        public init() {}
    }

    /// `openapi:` the OpenAPI document on the data listener, for clients that only reach it.
    public struct OpenAPISettings: Sendable, Equatable {
        /// The path it is served at (`/openapi.json`): no route may match it.
        public var path: String

        /// Creates the settings.
        public init(path: String) {
            self.path = path
        }
    }

    /// Decodes `admin`, `shutdown`, `watch` or `openapi` (`key`) into `config`.
    static func parseOperations(
        _ key: String,
        _ node: Node,
        into config: inout GatewayConfig,
        reader: inout YAMLReader
    ) {
        switch key {
        case "admin":
            var listen: HostPort?
            for (name, value) in reader.mapping(node, at: key) ?? [] {
                switch name {
                case "listen": listen = reader.hostPort(value, at: "admin.listen")
                default: reader.report("admin.\(name)", "unknown key \"\(name)\" (expected listen)", at: value)
                }
            }
            if case .mapping = node, listen == nil, !reader.problems.contains(where: { $0.path == "admin.listen" }) {
                reader.report("admin.listen", "the admin listener needs an address (host:port)", at: node)
            }
            config.admin = listen.map(AdminSettings.init(listen:))
        case "shutdown":
            for (name, value) in reader.mapping(node, at: key) ?? [] {
                switch name {
                case "gracePeriod":
                    if let ms = reader.durationMilliseconds(value, at: "shutdown.gracePeriod") {
                        config.shutdown.gracePeriodMilliseconds = ms
                    }
                default:
                    reader.report("shutdown.\(name)", "unknown key \"\(name)\" (expected gracePeriod)", at: value)
                }
            }
        case "watch":
            if let on = reader.bool(node, at: key) { config.watch = on }
        case "openapi":
            var path: String?
            for (name, value) in reader.mapping(node, at: key) ?? [] {
                switch name {
                case "path":
                    guard let text = reader.string(value, at: "openapi.path") else { break }
                    if text.hasPrefix("/"), !text.contains("?"), !text.contains("#"), !text.contains(" ") {
                        path = text
                    } else {
                        reader.report("openapi.path", "must be a path starting with / (no query)", at: value)
                    }
                default: reader.report("openapi.\(name)", "unknown key \"\(name)\" (expected path)", at: value)
                }
            }
            config.openapi = path.map(OpenAPISettings.init(path:))
        default:
            break
        }
    }
}
