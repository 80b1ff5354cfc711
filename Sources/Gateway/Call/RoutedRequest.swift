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
}
