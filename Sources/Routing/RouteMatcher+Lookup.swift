import ProtoSchema
import TextCoding

extension RouteMatcher {
    /// ``RouteTable/lookup(method:path:query:)``.
    func lookup(method: String, path: Substring, query: Substring?) throws(RoutingError) -> RouteLookup {
        let methods = requestMethods(method)
        // The error leaves the closure through a variable: a throwing closure's result (a
        // `Result` holding the lookup or the error) was copied around on every lookup.
        var failure: RoutingError?
        let found = path.withUTF8Bytes { bytes -> RouteLookup in
            do throws(RoutingError) {
                return try lookup(methods: methods, path: bytes, query: query)
            } catch {
                failure = error
                return .notFound
            }
        }
        if let failure { throw failure }
        return found
    }

    /// The request method's index in the trie's methods, and GET's when HEAD may fall back to it.
    private struct RequestMethods {
        var method: Int
        var fallback: Int?
    }

    private func requestMethods(_ method: String) -> RequestMethods {
        var method = method
        return method.withUTF8 { bytes in
            let index = trie.methods.firstIndex(of: bytes) ?? -1
            let isHead = bytes.count == 4 && ByteStringList.prefix(of: bytes) == Self.headPrefix
            return RequestMethods(method: index, fallback: isHead ? trie.getMethod : nil)
        }
    }

    /// `HEAD` as ``ByteStringList/prefix(of:)`` packs it.
    private static let headPrefix: UInt64 = 0x4441_4548

    private func lookup(
        methods: RequestMethods,
        path bytes: UnsafeBufferPointer<UInt8>,
        query: Substring?
    ) throws(RoutingError)
        -> RouteLookup
    {
        guard bytes.first == UInt8(ascii: "/") else { return .notFound }
        guard let scan = RequestPathScan(bytes) else {
            throw RoutingError(
                code: .invalidPathEncoding,
                message: "the path has a '%' that is not followed by two hex digits"
            )
        }
        let segments = PathSegments(bytes: bytes, start: 1, end: scan.contentEnd, isASCII: scan.isASCII)
        // The verb is split off before trailing slashes are dropped: `/a/b:verb/` has no verb.
        var verb = -1
        var verbSegments = segments
        if let colon = scan.lastColon,
            let found = trie.verbIndex(of: UnsafeBufferPointer(rebasing: bytes[(colon + 1)...]), isASCII: scan.isASCII)
        {
            verb = found
            let end = RequestPathScan.trimmingSlashes(bytes, end: colon)
            verbSegments = PathSegments(bytes: bytes, start: 1, end: end, isASCII: scan.isASCII)
        }

        if verb >= 0, let found = find(verbSegments, verb: verb, methods: methods, hasEscapes: scan.hasEscapes) {
            return .matched(try match(found, segments: verbSegments, hasEscapes: scan.hasEscapes, query: query))
        }
        if let found = find(segments, verb: -1, methods: methods, hasEscapes: scan.hasEscapes) {
            return .matched(try match(found, segments: segments, hasEscapes: scan.hasEscapes, query: query))
        }

        var allowed: Set<String> = []
        if verb >= 0 {
            withKeys(verbSegments, hasEscapes: scan.hasEscapes) {
                trie.methods(matching: $0, verb: verb, into: &allowed)
            }
        }
        withKeys(segments, hasEscapes: scan.hasEscapes) { trie.methods(matching: $0, verb: -1, into: &allowed) }
        guard !allowed.isEmpty else { return .notFound }
        if allowed.contains("GET") { allowed.insert("HEAD") }
        return .methodNotAllowed(allowed: allowed.sorted())
    }

    private func find(_ segments: PathSegments, verb: Int, methods: RequestMethods, hasEscapes: Bool) -> Int? {
        withKeys(segments, hasEscapes: hasEscapes) { keys in
            if let found = trie.find(keys, verb: verb, method: methods.method) { return found }
            guard let fallback = methods.fallback else { return nil }
            return trie.find(keys, verb: verb, method: fallback)
        }
    }

    /// Calls `body` with the segments in literal normal form: the same bytes when the path has
    /// no escape, else a normalized copy (escapes never decode to `/`, so segments stay put).
    private func withKeys<Result>(
        _ segments: PathSegments,
        hasEscapes: Bool,
        _ body: (PathSegments) -> Result
    ) -> Result {
        guard hasEscapes else { return body(segments) }
        var normalized: [UInt8] = []
        normalized.reserveCapacity(segments.end - segments.start)
        PercentEncoding.appendNormalizedLiteral(segments.slice(segments.start..<segments.end), to: &normalized)
        return normalized.withUnsafeBufferPointer { bytes in
            body(PathSegments(bytes: bytes, start: 0, end: bytes.count, isASCII: segments.isASCII))
        }
    }

    private func match(
        _ found: Int,
        segments: PathSegments,
        hasEscapes: Bool,
        query: Substring?
    ) throws(RoutingError)
        -> RouteMatch
    {
        let route = routes[found]
        let plan = plans[found]
        var bindings: [FieldBinding] = []
        guard let query, !query.isEmpty else {
            if !plan.captures.isEmpty { bindings.reserveCapacity(plan.captures.count) }
            try appendPathBindings(plan, route: route, segments: segments, hasEscapes: hasEscapes, to: &bindings)
            return RouteMatch(route: route, bindings: bindings)
        }
        // One pass over the query's bytes for the capacity, one for the parameters.
        try query.withUTF8Bytes { bytes throws(RoutingError) in
            bindings.reserveCapacity(plan.captures.count + Self.parameterCountBound(bytes))
            try appendPathBindings(plan, route: route, segments: segments, hasEscapes: hasEscapes, to: &bindings)
            try appendQueryBindings(for: route, plan: plan, query: query, bytes: bytes, to: &bindings)
        }
        return RouteMatch(route: route, bindings: bindings)
    }

    /// At least the number of parameters in a query: one more than its `&`s.
    private static func parameterCountBound(_ query: UnsafeBufferPointer<UInt8>) -> Int {
        var count = 1
        for byte in query where byte == UInt8(ascii: "&") { count += 1 }
        return count
    }
}
