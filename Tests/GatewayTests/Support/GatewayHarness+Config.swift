import Foundation

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
func withGateway<T>(
    extraConfig: String = "",
    protos: String = "Protos/demo.binpb",
    replacingBackends backends: String? = nil,
    backendGzip: Bool = false,
    eventLoops: Int = 2,
    throughRelay: Bool = false,
    _ body: (GatewayHarness) async throws -> T
) async throws -> T {
    try await GatewayHarness.with(
        gzip: backendGzip,
        throughRelay: throughRelay,
        eventLoops: eventLoops,
        config: { demoConfigYAML(backendPort: $0[0], extra: extraConfig, protos: protos, replacingBackends: backends) },
        body
    )
}
