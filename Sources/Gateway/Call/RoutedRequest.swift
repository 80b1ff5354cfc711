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

    /// What the route's admission decided for a request.
    enum Admission {
        /// It may go on (``admitted`` holds what it let through).
        case admitted
        /// Refused (401, 403, 429).
        case refused(GatewayError)
        /// A token is being verified off the loop; the outcome arrives on the request's loop
        /// (pass a success to ``admitted``).
        case pending(EventLoopFuture<Result<RouteAdmission.Admitted, GatewayError>>)
    }

    /// Runs the route's admission (``RoutePlan/admission``), keeping what it let through.
    /// - Parameter query: The raw query (where a query credential travels), split once by the caller.
    mutating func admit(_ head: HTTPRequestHead, query: Substring?, peer: String?, on loop: any EventLoop) -> Admission
    {
        guard let admission = plan.admission else { return .admitted }
        switch admission.admit(head.headers, query: query, peer: peer, on: loop) {
        case .decided(.success(let admitted)):
            self.admitted = admitted
            return .admitted
        case .decided(.failure(let error)):
            return .refused(error)
        case .pending(let outcome):
            return .pending(outcome)
        }
    }
}
