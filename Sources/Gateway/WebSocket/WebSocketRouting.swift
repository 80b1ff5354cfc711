import NIOHTTP1
import ProtoSchema
import Routing

/// Which route a WebSocket upgrade request opens.
///
/// A WebSocket handshake is always a `GET`, but the streaming routes it is meant for are often
/// `POST` or `PUT` (`POST /v1/chat`). So the path is matched under `GET` first and, when that
/// finds no streaming route, under each verb the path allows, in the route table's order. A
/// client that needs a particular verb (`PUT /v1/files/{name}` where `GET` is a download) names
/// it in `X-HTTP-Method-Override`. Only streaming methods (server, client or bidi) accept
/// WebSocket sessions.
enum WebSocketRouting {
    /// The header that picks the route's HTTP verb for a WebSocket session.
    static let methodOverrideHeader = "x-http-method-override"

    /// The route `head` upgrades to, or the error to answer instead (404 for an unknown path,
    /// 400 for a route whose method does not stream).
    static func match(_ head: HTTPRequestHead, live: LiveSnapshot) -> Result<RoutedRequest, GatewayError> {
        let snapshot = live.snapshot
        let (path, rawQuery) = head.pathAndQuery
        let query = APIKeyVerifier.query(rawQuery, without: snapshot.credentialQueryParameters)
        let override = head.headers.first(name: methodOverrideHeader)?.uppercased()
        var verbs = [override ?? "GET"]
        var unary: Route?
        var allowedVerbs: [String]?
        var index = 0
        while index < verbs.count {
            let lookup: RouteLookup
            do {
                lookup = try snapshot.routes.lookup(method: verbs[index], path: path, query: query)
            } catch {
                return .failure(.invalidArgument(error.message, cause: error))
            }
            switch lookup {
            case .matched(let match):
                if match.route.method.kind != .unary {
                    return .success(RoutedRequest(live: live, match: match, plan: snapshot.plan(for: match.route)))
                }
                unary = unary ?? match.route
            case .methodNotAllowed(let allowed):
                allowedVerbs = allowed
                // Without an override, try the verbs the path does allow.
                if index == 0, override == nil { verbs += allowed }
            case .notFound:
                break
            }
            index += 1
        }
        if let unary {
            return .failure(
                .invalidArgument(
                    "WebSocket sessions need a streaming method; \(unary.method.fullName) is unary (call it with plain HTTP)"
                )
            )
        }
        if let allowedVerbs {
            return .failure(.methodNotAllowed(method: verbs[0], path: String(path), allowed: allowedVerbs))
        }
        return .failure(.notFound(method: verbs[0], path: String(path)))
    }

    /// Why an upgrade request was not upgraded: its route's error (404, 405, 400 for a unary
    /// method), or a malformed or late handshake.
    static func refusal(_ head: HTTPRequestHead, live: LiveSnapshot) -> GatewayError {
        switch match(head, live: live) {
        case .failure(let error):
            return error
        case .success:
            return .invalidArgument(
                "invalid WebSocket handshake: it must be the first request on its connection, a GET with "
                    + "Connection: Upgrade, Sec-WebSocket-Key and Sec-WebSocket-Version: 13"
            )
        }
    }
}
