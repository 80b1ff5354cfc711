extension RouteTable {
    /// Finds the route for a request and extracts its path and query bindings.
    ///
    /// The path is walked as bytes, in place: no array of segments, no hashing, no `String`
    /// made except the bindings' values. The allocations of a match are the bindings array
    /// (reserved once) and values longer than 15 bytes.
    ///
    /// - Parameters:
    ///   - method: the HTTP method (`GET`); compared case-sensitively.
    ///   - path: the raw request path, still percent-encoded, without the query.
    ///   - query: the raw query string without `?`, or nil.
    /// - Returns: the match, or why there is none (404 / 405).
    /// - Throws: ``RoutingError`` when the path matched but the URL is malformed: bad
    ///   percent-encoding, or a query parameter that is unknown (strict routes) or not settable.
    public func lookup(method: String, path: Substring, query: Substring?) throws(RoutingError) -> RouteLookup {
        try matcher.lookup(method: method, path: path, query: query)
    }
}
