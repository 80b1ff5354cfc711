import ProtoSchema

/// Everything a ``RouteTable`` lookup reads, in one immutable object built with the table.
///
/// A class so that a lookup, and each closure in it, holds one reference: as a struct of a
/// dozen arrays, every copy of the table (each closure capturing it) retained all of them.
final class RouteMatcher: Sendable {
    /// Every route, in definition order.
    let routes: [Route]
    let pool: DescriptorPool
    let trie: RouteTrie
    /// What lookups need of each route, by ``Route/index``.
    let plans: [RouteMatchPlan]
    /// The query parameter names of every route's request message.
    let queryFields: QueryFieldIndex

    /// Indexes `routes` (validated, without conflicts, each at its ``Route/index``).
    init(routes: [Route], trie: RouteTrie, pool: DescriptorPool) {
        self.routes = routes
        self.pool = pool
        self.trie = trie
        let queryFields = QueryFieldIndex(pool: pool, requests: routes.map(\.method.input))
        self.plans = routes.map { RouteMatchPlan($0, queryRoot: queryFields.roots[$0.method.input.index]!) }
        self.queryFields = queryFields
    }
}
