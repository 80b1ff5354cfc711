import TextCoding
import ProtoSchema

extension RouteTable {
    /// Finds the route for a request and extracts its path and query bindings.
    ///
    /// - Parameters:
    ///   - method: the HTTP method (`GET`); compared case-sensitively.
    ///   - path: the raw request path, still percent-encoded, without the query.
    ///   - query: the raw query string without `?`, or nil.
    /// - Returns: the match, or why there is none (404 / 405).
    /// - Throws: ``RoutingError`` when the path matched but the URL is malformed: bad
    ///   percent-encoding, or a query parameter that is unknown (strict routes) or not settable.
    public func lookup(method: String, path: Substring, query: Substring?) throws(RoutingError) -> RouteLookup {
        guard path.utf8.first == UInt8(ascii: "/") else { return .notFound }
        guard PercentEncoding.isWellFormed(path) else {
            throw RoutingError(
                code: .invalidPathEncoding,
                message: "the path has a '%' that is not followed by two hex digits"
            )
        }
        var segments = path[path.utf8.index(after: path.startIndex)...].splitASCII(UInt8(ascii: "/"))
        // The verb is split off before trailing slashes are dropped: `/a/b:verb/` has no verb.
        var verb: Substring?
        var verbSegments: [Substring] = []
        if let last = segments.last, let (stem, candidate) = last.splitAtLastASCII(UInt8(ascii: ":")) {
            if trie.verbs.contains(candidate) {
                verb = candidate
                verbSegments = segments
                verbSegments[verbSegments.count - 1] = stem
                Self.dropTrailingEmpty(&verbSegments)
            }
        }
        Self.dropTrailingEmpty(&segments)

        let httpMethod = Substring(method)
        if verb != nil, let found = find(verbSegments, verb: verb, method: httpMethod) {
            return .matched(try match(routes[found], segments: verbSegments, query: query))
        }
        if let found = find(segments, verb: nil, method: httpMethod) {
            return .matched(try match(routes[found], segments: segments, query: query))
        }

        var allowed: Set<String> = []
        if verb != nil { trie.methods(matching: Self.keys(verbSegments), verb: verb, into: &allowed) }
        trie.methods(matching: Self.keys(segments), verb: nil, into: &allowed)
        guard !allowed.isEmpty else { return .notFound }
        if allowed.contains("GET") { allowed.insert("HEAD") }
        return .methodNotAllowed(allowed: allowed.sorted())
    }

    private func find(_ segments: [Substring], verb: Substring?, method: Substring) -> Int? {
        let keys = Self.keys(segments)
        if let found = trie.find(keys, verb: verb, method: method) { return found }
        if method == "HEAD" { return trie.find(keys, verb: verb, method: "GET") }
        return nil
    }

    /// The segments in literal normal form; the same array when no segment has an escape.
    private static func keys(_ segments: [Substring]) -> [Substring] {
        guard segments.contains(where: { $0.utf8.contains(UInt8(ascii: "%")) }) else { return segments }
        return segments.map(PercentEncoding.normalizedLiteral)
    }

    private static func dropTrailingEmpty(_ segments: inout [Substring]) {
        while segments.last?.isEmpty == true { segments.removeLast() }
    }

    private func match(_ route: Route, segments: [Substring], query: Substring?) throws(RoutingError) -> RouteMatch {
        var bindings: [FieldBinding] = []
        bindings.reserveCapacity(route.variableFields.count)
        for (variable, fields) in zip(route.template.variables, route.variableFields) {
            let range =
                variable.endsWithDeepWildcard
                ? variable.range.lowerBound..<segments.count
                : variable.range
            let value = try Self.value(of: segments[range], multiSegment: variable.isMultiSegment, variable: variable)
            bindings.append(FieldBinding(fieldPath: fields, value: value))
        }
        if let query, !query.isEmpty {
            try appendQueryBindings(for: route, query: query, to: &bindings)
        }
        return RouteMatch(route: route, bindings: bindings)
    }

    private static func value(
        of segments: ArraySlice<Substring>,
        multiSegment: Bool,
        variable: PathTemplate.Variable
    ) throws(RoutingError) -> String {
        if !multiSegment, let segment = segments.first {
            if let value = PercentEncoding.decodedString(segment, plusAsSpace: false) { return value }
        } else {
            var bytes: [UInt8] = []
            for (offset, segment) in segments.enumerated() {
                if offset > 0 { bytes.append(UInt8(ascii: "/")) }
                _ = PercentEncoding.decode(segment, into: &bytes, keepEncodedSlash: true, plusAsSpace: false)
            }
            if let value = String(validating: bytes, as: UTF8.self) { return value }
        }
        throw RoutingError(
            code: .invalidPathEncoding,
            message: "the value of path variable {\(variable.dottedFieldPath)} is not UTF-8 after percent-decoding"
        )
    }
}
