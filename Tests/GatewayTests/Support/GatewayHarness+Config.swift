import DemoServices
import Foundation
import Gateway
import Prometheus
import Upstream

// The wrappers below only build YAML: starting and stopping stays in one place, the harness.

/// A Gateway.yaml for a backend on `backendPort`.
func demoConfigYAML(
    backendPort: Int,
    extra: String = "",
    protos: String = "Protos/demo.binpb",
    replacingBackends backends: String? = nil
) -> String {
    if let backends {
        return """
            listen: 127.0.0.1:0
            protos: [\(protos)]
            \(backends.replacingOccurrences(of: "PORT", with: "\(backendPort)"))
            \(extra)
            """
    }
    return """
        listen: 127.0.0.1:0
        protos: [\(protos)]
        backends:
          demo:
            endpoints: [127.0.0.1:\(backendPort)]
            timeout: 5s
        services:
          demo.*: demo
        headers:
          deny: [cookie]
        \(extra)
        """
}

/// One demo backend and a gateway (`demoConfigYAML`) on two event loops, for `body`.
/// - Parameters:
///   - extraConfig: Top-level YAML lines added at the end.
///   - protos: The descriptor set the gateway loads.
///   - backends: Replaces the `backends:`/`services:`/`headers:` part; `PORT` stands for the
///     backend's port (the relay's when `throughRelay`).
///   - backendGzip: Whether the backend reads and answers gzip.
///   - eventLoops: The gateway's event loops.
///   - throughRelay: Put an ``HTTP2SniffingRelay`` between gateway and backend.
///   - metrics: The gateway's metrics registry.
///   - accessLog: Where the gateway's access log goes; nil = standard output.
func withGateway<T>(
    extraConfig: String = "",
    protos: String = "Protos/demo.binpb",
    replacingBackends backends: String? = nil,
    backendGzip: Bool = false,
    eventLoops: Int = 2,
    throughRelay: Bool = false,
    metrics: PrometheusCollectorRegistry = PrometheusCollectorRegistry(),
    accessLog: (any AccessLogSink)? = nil,
    _ body: (GatewayHarness) async throws -> T
) async throws -> T {
    try await GatewayHarness.with(
        gzip: backendGzip,
        throughRelay: throughRelay,
        eventLoops: eventLoops,
        metrics: metrics,
        accessLog: accessLog,
        config: { demoConfigYAML(backendPort: $0[0], extra: extraConfig, protos: protos, replacingBackends: backends) },
        body
    )
}

/// A Gateway.yaml with one backend `demo` at `endpoints` (flow-style list) for every service,
/// `backendExtra` lines under `backends.demo` and `extra` top-level lines.
func clusterConfigYAML(endpoints: String, backendExtra: String = "", extra: String = "") -> String {
    """
    listen: 127.0.0.1:0
    protos: [Protos/demo.binpb]
    backends:
      demo:
        endpoints: \(endpoints)
        timeout: 5s
    \(backendExtra.split(separator: "\n").map { "    " + $0 }.joined(separator: "\n"))
    \(extra)
    """
}

/// Several demo backends behind one `backends.demo` entry (`clusterConfigYAML`), stopped after
/// 100 ms of grace, and a gateway on one event loop, for `body`.
/// - Parameters:
///   - count: How many backends, on 127.0.0.1 (when `hosts` is nil).
///   - hosts: One bind address per backend, all on one port (as the pods behind a DNS name);
///     overrides `count`.
///   - endpoints: The `endpoints:` value, with `PORT` standing for the shared port; nil = each
///     backend's `host:port`.
///   - maxConcurrentStreams: What the backends advertise in `SETTINGS_MAX_CONCURRENT_STREAMS`.
///   - resolver: Resolves host names for `dns:`; nil = the system resolver.
///   - backendExtra: Lines under `backends.demo`.
///   - extraConfig: Top-level lines.
///   - eventLoops: The gateway's event loops.
func withBackends<T>(
    count: Int = 1,
    hosts: [String]? = nil,
    endpoints: String? = nil,
    maxConcurrentStreams: Int? = nil,
    resolver: (any HostResolver)? = nil,
    backendExtra: String = "",
    extraConfig: String = "",
    eventLoops: Int = 1,
    _ body: (GatewayHarness) async throws -> T
) async throws -> T {
    let bound = hosts ?? Array(repeating: "127.0.0.1", count: count)
    return try await GatewayHarness.with(
        hosts: bound,
        sharedPort: hosts != nil,
        maxConcurrentStreams: maxConcurrentStreams,
        gracePeriod: .milliseconds(100),
        eventLoops: eventLoops,
        resolver: resolver,
        config: { ports in
            let list =
                endpoints?.replacingOccurrences(of: "PORT", with: "\(ports[0])")
                ?? "[\(zip(bound, ports).map { "\($0):\($1)" }.joined(separator: ", "))]"
            return clusterConfigYAML(endpoints: list, backendExtra: backendExtra, extra: extraConfig)
        },
        body
    )
}

/// A Gateway.yaml with one backend `demo` at `endpoint` whose `tls` is `backendTLS` (flow-style
/// YAML, or nil for none), plus `extra` top-level lines.
func tlsConfigYAML(endpoint: String, backendTLS: String?, extra: String = "") -> String {
    """
    listen: 127.0.0.1:0
    protos: [Protos/demo.binpb]
    backends:
      demo:
        endpoints: [\(endpoint)]
        timeout: 5s
    \(backendTLS.map { "    tls: \($0)" } ?? "")
    \(extra)
    """
}

/// One demo backend serving `backend` (nil = plaintext) and a gateway (`tlsConfigYAML`) whose
/// `backends.demo.tls` is `upstreamTLS`, for `body`.
/// - Parameter extra: Top-level lines (the listener's own `tls:`).
func withTLSGateway<T>(
    backend: DemoBackendTLS?,
    upstreamTLS: String?,
    extra: String = "",
    _ body: (GatewayHarness) async throws -> T
) async throws -> T {
    try await GatewayHarness.with(
        tls: backend,
        config: { tlsConfigYAML(endpoint: "127.0.0.1:\($0[0])", backendTLS: upstreamTLS, extra: extra) },
        body
    )
}

/// The problems `portico check` would print for the demo configuration with `extra` top-level
/// YAML lines, or "" when it builds.
func demoConfigProblems(_ extra: String) -> String {
    do {
        let config = try GatewayConfig.parse(yaml: demoConfigYAML(backendPort: 1, extra: extra))
        _ = try GatewaySnapshot(config: config, baseDirectory: repositoryRoot)
        return ""
    } catch {
        return "\(error)"
    }
}
