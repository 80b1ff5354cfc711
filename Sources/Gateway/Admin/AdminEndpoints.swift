import NIOCore
import NIOHTTP1
import Prometheus

/// What the admin listener serves, by path: each endpoint takes one method (mutations are POST
/// only, as in Envoy's admin interface, so a stray GET or a cross-site link changes nothing);
/// another method is a `405` with `Allow`, an unknown path a `404`. All answers are JSON except
/// `/metrics` (Prometheus text).
///
/// | endpoint | answer |
/// |---|---|
/// | `GET /healthz` | `200 {"status":"SERVING"}` while the process runs |
/// | `GET /readyz` | `200 {"status":"SERVING"}` or `503 {"status":"NOT_SERVING",…}` |
/// | `GET /metrics` | the server's Prometheus registry, text format 0.0.4 |
/// | `GET /routes` | the live route table |
/// | `GET /config` | the effective configuration, defaults filled in, no key material |
/// | `GET /openapi.json` | the OpenAPI 3.1 document of the live routes (``OpenAPIDocument``) |
/// | `POST /reload` | reload from the file: what changed, or every problem |
struct AdminEndpoints: Sendable {
    /// The server the endpoints report on and act on.
    let server: GatewayServer

    /// One endpoint: its path, its method, and what it answers.
    struct Endpoint: Sendable {
        /// The path (exact match).
        let path: String
        /// The one method it takes.
        let method: HTTPMethod
        /// The answer.
        let answer: @Sendable (AdminEndpoints, AdminRequest) async -> AdminResponse
    }

    /// Every endpoint, in the order `404` answers list them.
    static let table: [Endpoint] = [
        Endpoint(path: "/healthz", method: .GET) { endpoints, _ in endpoints.healthz() },
        Endpoint(path: "/readyz", method: .GET) { endpoints, _ in await endpoints.readyz() },
        Endpoint(path: "/metrics", method: .GET) { endpoints, _ in endpoints.metrics() },
        Endpoint(path: "/routes", method: .GET) { endpoints, _ in endpoints.routes() },
        Endpoint(path: "/config", method: .GET) { endpoints, _ in endpoints.config() },
        Endpoint(path: "/openapi.json", method: .GET) { endpoints, _ in
            .json(.ok, OpenAPIDocument.json(of: endpoints.server.snapshot))
        },
        Endpoint(path: "/reload", method: .POST) { endpoints, _ in await endpoints.reload() },
    ]

    /// The answer to `request`.
    func respond(to request: AdminRequest) async -> AdminResponse {
        guard let endpoint = Self.table.first(where: { $0.path == request.path }) else {
            return .notFound(request.path)
        }
        guard request.method == endpoint.method else {
            return .methodNotAllowed(request.method, path: request.path, allowed: endpoint.method)
        }
        return await endpoint.answer(self, request)
    }

    /// `GET /healthz`: liveness; the process answers, so it is alive.
    func healthz() -> AdminResponse {
        .json(.ok, .object([("status", "SERVING")]))
    }

    /// `GET /metrics`: the server's registry in Prometheus text format.
    func metrics() -> AdminResponse {
        let bytes = server.metrics.emitToBuffer()
        return AdminResponse(
            status: .ok,
            contentType: "text/plain; version=0.0.4; charset=utf-8",
            body: ByteBuffer(bytes: bytes)
        )
    }
}
