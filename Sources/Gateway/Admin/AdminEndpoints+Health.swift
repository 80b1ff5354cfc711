import NIOHTTP1

/// `GET /readyz`: readiness for load balancers and Kubernetes.
extension AdminEndpoints {
    /// `200 {"status":"SERVING"}` when ready; otherwise `503` with
    /// `{"status":"NOT_SERVING","draining":true}` while draining,
    /// `{"status":"NOT_SERVING","listening":false}` before the data listener is bound, or
    /// `{"status":"NOT_SERVING","backends":{"<name>":"<why>"}}` naming every backend with no
    /// endpoint in rotation.
    func readyz() async -> AdminResponse {
        let readiness = await server.readiness()
        if readiness.isReady {
            return .json(.ok, .object([("status", "SERVING")]))
        }
        var members: [(String, AdminJSON)] = [("status", "NOT_SERVING")]
        if readiness.isDraining { members.append(("draining", .bool(true))) }
        if !readiness.isListening { members.append(("listening", .bool(false))) }
        if !readiness.backendsOut.isEmpty {
            members.append(("backends", .object(readiness.backendsOut.map { ($0.name, .string($0.reason)) })))
        }
        return .json(.serviceUnavailable, .object(members))
    }
}
