import NIOCore
import NIOHTTP1
import Routing

/// A request whose route matched: the snapshot it started on (kept to its end, whatever is
/// swapped in meanwhile), its match (path and query values) and its route's plan.
struct RoutedRequest {
    /// The snapshot, as the request's event loop serves it.
    let live: LiveSnapshot
    /// The route and the values the URL gives request fields.
    let match: RouteMatch
    /// The route's plan.
    let plan: RoutePlan
    /// What the route's admission let through (the API key's id, headers withheld); nil when
    /// the route checks nothing.
    var admitted: RouteAdmission.Admitted?

    /// Runs the route's admission (``RoutePlan/admission``), keeping what it let through.
    /// - Parameter query: The raw query (where a query API key travels), split once by the caller.
    /// - Returns: The refusal (401, 429), or nil when the request may go on.
    mutating func admit(_ head: HTTPRequestHead, query: Substring?, peer: String?, now: NIODeadline) -> GatewayError? {
        guard let admission = plan.admission else { return nil }
        switch admission.admit(head.headers, query: query, peer: peer, now: now.uptimeNanoseconds) {
        case .success(let admitted):
            self.admitted = admitted
            return nil
        case .failure(let error):
            return error
        }
    }
}
