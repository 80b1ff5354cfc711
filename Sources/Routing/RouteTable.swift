public import ProtoSchema

/// The immutable route index: every HTTP binding, validated, with field paths resolved.
///
/// Built once per configuration snapshot; lookups only read it and may run on any thread.
///
/// ```swift
/// let table = try RouteTable(definitions: definitions, pool: pool)
/// switch try table.lookup(method: "GET", path: "/v1/users/7", query: "view=FULL") {
/// case .matched(let match): // match.route.method, match.bindings
/// case .methodNotAllowed(let allowed): // 405, Allow: allowed
/// case .notFound: // 404
/// }
/// ```
///
/// Matching rules (those of grpc-httpjson-transcoding, Envoy's transcoder, unless noted):
/// - The path is split on `/`; trailing empty segments are dropped, so `/v1/users/1/` matches
///   `/v1/users/{id}` (grpc-gateway answers 404 there). Inner empty segments (`//`) are kept and
///   a `*` matches an empty segment.
/// - At each segment a literal beats `*`, which beats `**`; the leftmost difference decides.
///   Routes with the same verb and template shape are rejected at build time as conflicts.
/// - Literals compare in RFC 3986 normal form (`%7E` equals `~`; hex case ignored) — a small
///   extension over the transcoding library, which compares raw text.
/// - Custom verbs: when the last segment has a `:` and the text after the last `:` is a verb some
///   route uses, verb routes are tried first; if none matches, the whole segment (colon included)
///   is matched against routes without a verb.
/// - A route with exactly the request's HTTP method beats a `*` (custom kind) route. `HEAD` falls
///   back to `GET` routes when no `HEAD` or `*` route matches.
/// - Single-segment variables are fully percent-decoded; multi-segment ones (`{x=a/*}`, `**`)
///   are decoded except `%2F`/`%2f`. `+` is never a space in paths.
public struct RouteTable: Sendable {
    /// Every route, in definition order.
    public let routes: [Route]
    /// The index lookups search.
    let matcher: RouteMatcher

    /// Validates every definition and indexes the valid ones.
    ///
    /// - Parameters:
    ///   - definitions: the bindings, in priority order.
    ///   - pool: the pool the definitions' methods come from.
    /// - Throws: ``RouteTableError`` listing every problem found (not just the first), each with
    ///   its definition's ``RouteDefinition/source``.
    public init(definitions: [RouteDefinition], pool: DescriptorPool) throws(RouteTableError) {
        var problems: [RouteConfigError] = []
        var routes: [Route] = []
        var trie = RouteTrie.Builder()
        var sourceByKey: [String: String] = [:]
        let validator = RouteValidator(pool: pool)
        for definition in definitions {
            guard let route = validator.validate(definition, index: routes.count, problems: &problems) else { continue }
            let key = "\(definition.verb) \(route.template.shape)"
            if let other = sourceByKey[key] {
                problems.append(
                    RouteConfigError(
                        code: .conflictingRoute,
                        message: "\(definition.verb) \(definition.pathTemplate) matches the same requests as "
                            + "the binding from \(other)",
                        source: definition.source
                    )
                )
                continue
            }
            sourceByKey[key] = definition.source
            trie.insert(route.template, httpMethod: route.verb, route: routes.count)
            routes.append(route)
        }
        guard problems.isEmpty else { throw RouteTableError(problems: problems) }
        self.routes = routes
        self.matcher = RouteMatcher(routes: routes, trie: trie.build(), pool: pool)
    }
}
