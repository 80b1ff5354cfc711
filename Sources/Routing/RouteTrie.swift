/// The path index of a ``RouteTable``: a trie over template segments.
///
/// Each node has literal children (the RFC 3986 normal form of the literal), at most one `*`
/// child, the routes that end at the node, and the routes that end with `**` below it. Since
/// `**` is always last, a `**` is a terminal list rather than a node, and lookup recursion is
/// bounded by the longest template, whatever the request path. Lookup is a depth-first search
/// that tries, at every segment, the literal child, then `*`, then `**`: the leftmost more
/// specific segment wins, as in grpc-httpjson-transcoding.
///
/// Laid out flat for lookups that neither hash nor allocate nor retain: nodes, literal edges
/// and route entries are plain values in arrays, a node naming its edges and entries by index
/// ranges; literals, HTTP methods and custom verbs are ``ByteStringList``s compared with the
/// request's bytes. Built by ``Builder``. A class, so that a lookup reads the arrays in place
/// (as a struct inside ``RouteMatcher`` it was copied, all its arrays retained, per lookup).
final class RouteTrie: Sendable {
    /// A route ending at a node.
    struct Entry: Sendable {
        /// Index into ``methods``: the route's HTTP method or custom kind.
        let method: Int
        /// Whether the method is `*`, which any request method matches.
        let matchesAnyMethod: Bool
        /// Index into ``verbs`` of the custom verb the route requires, or -1 for none.
        let verb: Int
        /// Index into the table's routes.
        let route: Int
    }

    /// One trie node.
    struct Node: Sendable {
        /// Indices into ``literals`` (and ``literalChildren``) of the literal children.
        var literals: Range<Int>
        /// Whether a literal child has a byte outside ASCII (and so is compared as a `String`
        /// when the bytes differ).
        var hasNonASCIILiteral: Bool
        /// The `*` child.
        var wildcard: Int?
        /// Indices into ``entries`` of the routes ending here.
        var terminal: Range<Int>
        /// Indices into ``entries`` of the routes ending with `**` here.
        var deepTerminal: Range<Int>
    }

    /// The nodes; the root is 0.
    let nodes: [Node]
    /// Every node's literal children's texts, node after node, in normal form.
    let literals: ByteStringList
    /// The node each literal leads to, by the literal's index.
    let literalChildren: [Int]
    /// Every node's terminal and deep-terminal routes.
    let entries: [Entry]
    /// The distinct HTTP methods of the routes (compared by bytes, as methods are).
    let methods: ByteStringList
    /// The index in ``methods`` of `GET`, which `HEAD` requests fall back to, if a route has it.
    let getMethod: Int?
    /// Every custom verb some route uses, distinct by `String` equality: only these are split
    /// off the last request segment.
    let verbs: ByteStringList

    /// A trie of these parts; ``Builder/build()`` makes them.
    init(
        nodes: [Node],
        literals: ByteStringList,
        literalChildren: [Int],
        entries: [Entry],
        methods: ByteStringList,
        getMethod: Int?,
        verbs: ByteStringList
    ) {
        self.nodes = nodes
        self.literals = literals
        self.literalChildren = literalChildren
        self.entries = entries
        self.methods = methods
        self.getMethod = getMethod
        self.verbs = verbs
    }

    /// The index in ``verbs`` of the verb equal to `candidate` (text after the last segment's
    /// last `:`), or nil when no route uses it.
    func verbIndex(of candidate: UnsafeBufferPointer<UInt8>, isASCII: Bool) -> Int? {
        if let index = verbs.firstIndex(of: candidate) { return index }
        guard !isASCII || verbs.hasNonASCII else { return nil }
        return verbs.firstIndex(equivalentTo: candidate, in: 0..<verbs.count)
    }

    /// The first route (by precedence) matching the segments, verb and HTTP method.
    ///
    /// - Parameters:
    ///   - keys: the request segments in literal normal form.
    ///   - verb: index in ``verbs`` of the custom verb split off the last segment, or -1.
    ///   - method: index in ``methods`` of the request's HTTP method, or -1 when no route has
    ///     it; routes with exactly this method win over `*` routes at the same node.
    func find(_ keys: PathSegments, verb: Int, method: Int) -> Int? {
        find(node: 0, at: keys.firstPosition, keys, verb: verb, method: method)
    }

    private func find(node: Int, at position: Int, _ keys: PathSegments, verb: Int, method: Int) -> Int? {
        let current = nodes[node]
        if keys.isPastEnd(position) {
            return pick(current.terminal, verb: verb, method: method)
                ?? pick(current.deepTerminal, verb: verb, method: method)
        }
        let (segmentEnd, prefix) = keys.segmentEndAndPrefix(from: position)
        if !current.literals.isEmpty,
            let child = literalChild(current, keys.slice(position..<segmentEnd), prefix: prefix, isASCII: keys.isASCII),
            let found = find(node: child, at: segmentEnd + 1, keys, verb: verb, method: method)
        {
            return found
        }
        if let child = current.wildcard,
            let found = find(node: child, at: segmentEnd + 1, keys, verb: verb, method: method)
        {
            return found
        }
        return pick(current.deepTerminal, verb: verb, method: method)
    }

    @inline(__always)
    private func literalChild(
        _ node: Node,
        _ segment: UnsafeBufferPointer<UInt8>,
        prefix: UInt64,
        isASCII: Bool
    ) -> Int? {
        if let index = literals.firstIndex(of: segment, prefix: prefix, in: node.literals) {
            return literalChildren[index]
        }
        // Literals of one node are pairwise unequal as `String`s, so a byte-equal one is the
        // only equal one; without one, only text outside ASCII can still be equal.
        guard !isASCII || node.hasNonASCIILiteral else { return nil }
        return literals.firstIndex(equivalentTo: segment, in: node.literals).map { literalChildren[$0] }
    }

    @inline(__always)
    private func pick(_ range: Range<Int>, verb: Int, method: Int) -> Int? {
        var any: Int?
        for index in range {
            let entry = entries[index]
            guard entry.verb == verb else { continue }
            if entry.method == method { return entry.route }
            if any == nil && entry.matchesAnyMethod { any = entry.route }
        }
        return any
    }

    /// The HTTP methods of every route whose path matches, whatever its method.
    func methods(matching keys: PathSegments, verb: Int, into found: inout Set<String>) {
        collect(node: 0, at: keys.firstPosition, keys, verb: verb, into: &found)
    }

    private func collect(node: Int, at position: Int, _ keys: PathSegments, verb: Int, into found: inout Set<String>) {
        let current = nodes[node]
        func add(_ range: Range<Int>) {
            for index in range where entries[index].verb == verb { found.insert(methods.texts[entries[index].method]) }
        }
        add(current.deepTerminal)
        guard !keys.isPastEnd(position) else {
            add(current.terminal)
            return
        }
        let (segmentEnd, prefix) = keys.segmentEndAndPrefix(from: position)
        if let child = literalChild(current, keys.slice(position..<segmentEnd), prefix: prefix, isASCII: keys.isASCII) {
            collect(node: child, at: segmentEnd + 1, keys, verb: verb, into: &found)
        }
        if let child = current.wildcard {
            collect(node: child, at: segmentEnd + 1, keys, verb: verb, into: &found)
        }
    }
}
