import NIOHTTP1
import Routing

/// CORS on the data listener (the decisions are ``CORSPolicy``'s): preflights for routes with
/// CORS are answered here without a call, and every other request on such a route keeps its
/// ``CORSResponseHeaders`` in ``HTTPConnectionHandler/cors`` until its response head is written.
extension HTTPConnectionHandler {
    /// The `204` answering `head` when it is a CORS preflight (`OPTIONS` with `Origin` and
    /// `Access-Control-Request-Method`) for a route with CORS; nil otherwise, and `head` is routed
    /// as any request (a path without the requested verb: 405 with `Allow`; no such path: 404).
    func corsPreflight(_ head: HTTPRequestHead, path: Substring, snapshot: GatewaySnapshot) -> LocalAnswer? {
        guard let method = head.headers.first(name: "access-control-request-method"),
            let origin = head.headers.first(name: "origin")
        else { return nil }
        // The query is the actual request's business: a preflight only asks about the route.
        let lookup = try? snapshot.routes.lookup(method: method, path: path, query: nil)
        guard case .matched(let match)? = lookup else { return nil }
        let plan = snapshot.plan(for: match.route)
        guard let policy = plan.cors else { return nil }
        record?.route = plan.telemetry
        let requestHeaders = head.headers[canonicalForm: "access-control-request-headers"]
        let (fields, rejection) = policy.preflight(
            origin: origin,
            method: method,
            requestHeaders: requestHeaders.isEmpty ? nil : requestHeaders.joined(separator: ",")
        )
        if let rejection { loop.countCORSRejection(rejection, plan: plan) }
        return .noContent(fields: fields)
    }

    /// Decides the CORS headers of `head`'s response on `plan`'s route, which has `policy`.
    func beginCORS(_ head: HTTPRequestHead, plan: RoutePlan, policy: CORSPolicy) {
        cors = loop.corsHeaders(head, method: head.method.rawValue, plan: plan, policy: policy)
    }
}

extension GatewayLoop {
    /// Adds the CORS headers of a WebSocket handshake (`head`, upgrading to `plan`'s route) to
    /// its `101`'s.
    func addHandshakeCORS(_ head: HTTPRequestHead, plan: RoutePlan, to headers: inout HTTPHeaders) {
        guard let policy = plan.cors else { return }
        // A handshake is a GET whatever its route's verb, which is the verb allowMethods names.
        corsHeaders(head, method: plan.route.verb, plan: plan, policy: policy).add(to: &headers)
    }

    /// The CORS headers of a response to `head` (a `method` request) on `plan`'s route
    /// (`policy` is its CORS), a rejection counted.
    func corsHeaders(
        _ head: HTTPRequestHead,
        method: String,
        plan: RoutePlan,
        policy: CORSPolicy
    ) -> CORSResponseHeaders {
        let (headers, rejection) = policy.actual(origin: head.headers.first(name: "origin"), method: method)
        if let rejection { countCORSRejection(rejection, plan: plan) }
        return headers
    }

    /// Counts a request `plan`'s CORS policy granted nothing, in `portico_cors_rejected_total`.
    func countCORSRejection(_ rejection: CORSPolicy.Rejection, plan: RoutePlan) {
        guard current.snapshot.config.metricsEnabled else { return }
        plan.telemetry.recordCORSRejection(rejection, metrics: telemetry.metrics)
    }
}
