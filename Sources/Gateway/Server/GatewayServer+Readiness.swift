import Upstream

/// Whether the server should be sent traffic: what `GET /readyz` answers.
public struct Readiness: Sendable {
    /// The server is draining (SIGTERM): it never becomes ready again.
    public var isDraining: Bool
    /// The data listener is bound.
    public var isListening: Bool
    /// Every backend with no endpoint in rotation, by name, with why (sorted by name).
    public var backendsOut: [(name: String, reason: String)]

    /// Ready: listening, not draining, every backend has an endpoint in rotation.
    public var isReady: Bool { !isDraining && isListening && backendsOut.isEmpty }
}

extension GatewayServer {
    /// Whether the server is ready for traffic: its configuration is loaded (it always is once
    /// constructed), the data listener is bound, it is not draining, every backend has at
    /// least one endpoint in rotation (``Cluster/rotation()``: not failing its health checks, not
    /// ejected after failed connects), and every backend with `reflection` has its schema in
    /// the serving snapshot. While draining it answers at once, without asking the event loops.
    public func readiness() async -> Readiness {
        if isDraining {
            return Readiness(isDraining: true, isListening: port != nil, backendsOut: [])
        }
        var out: [(name: String, reason: String)] = []
        let pending = Set(snapshot.reflectionPending)
        for (name, cluster) in await installer.liveClusters() {
            if pending.contains(name) {
                out.append((name, "no schema from reflection yet: \(reflector.problem(of: name) ?? "asking")"))
                continue
            }
            let endpoints = await cluster.rotation()
            if endpoints.isEmpty {
                out.append((name, "no endpoints (DNS gave no address)"))
            } else if !endpoints.contains(where: \.isInRotation) {
                let reasons = endpoints.map { "\($0.target): \($0.problem ?? "out of rotation")" }
                out.append((name, reasons.joined(separator: "; ")))
            }
        }
        return Readiness(isDraining: false, isListening: port != nil, backendsOut: out)
    }
}
