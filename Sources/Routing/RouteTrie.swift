import TextCoding

/// The path index of a ``RouteTable``: a trie over template segments.
///
/// Each node has literal children (keyed by the RFC 3986 normal form of the literal), at most one
/// `*` child, the routes that end at the node, and the routes that end with `**` below it. Since
/// `**` is always last, a `**` is a terminal list rather than a node, and lookup recursion is
/// bounded by the longest template, whatever the request path. Lookup is a depth-first search
/// that tries, at every segment, the literal child, then `*`, then `**`: the leftmost more
/// specific segment wins, as in grpc-httpjson-transcoding.
struct RouteTrie: Sendable {
    /// A route ending at a node.
    struct Entry: Sendable {
        /// HTTP method or custom kind (`*` = any).
        let httpMethod: String
        /// The custom verb the route requires, or nil for none.
        let verb: Substring?
        /// Index into the table's routes.
        let route: Int
    }

    /// One trie node; children are indices into ``nodes``.
    struct Node: Sendable {
        var literals: [Substring: Int] = [:]
        var wildcard: Int?
        var terminal: [Entry] = []
        var deepTerminal: [Entry] = []
    }

    private(set) var nodes: [Node] = [Node()]
    /// Every custom verb some route uses: only these are split off the last request segment.
    private(set) var verbs: Set<Substring> = []

    /// Adds a route.
    mutating func insert(_ template: PathTemplate, httpMethod: String, route: Int) {
        let entry = Entry(httpMethod: httpMethod, verb: template.verb.map { Substring($0) }, route: route)
        if let verb = template.verb { verbs.insert(Substring(verb)) }
        var node = 0
        for segment in template.segments {
            switch segment {
            case .literal(let text):
                let key = PercentEncoding.normalizedLiteral(Substring(text))
                if let child = nodes[node].literals[key] {
                    node = child
                } else {
                    nodes.append(Node())
                    nodes[node].literals[key] = nodes.count - 1
                    node = nodes.count - 1
                }
            case .wildcard:
                if let child = nodes[node].wildcard {
                    node = child
                } else {
                    nodes.append(Node())
                    nodes[node].wildcard = nodes.count - 1
                    node = nodes.count - 1
                }
            case .deepWildcard:
                nodes[node].deepTerminal.append(entry)
                return
            }
        }
        nodes[node].terminal.append(entry)
    }

    /// The first route (by precedence) matching the segments, verb and HTTP method.
    ///
    /// - Parameters:
    ///   - keys: the request segments in literal normal form.
    ///   - verb: the custom verb split off the last segment, or nil.
    ///   - method: the HTTP method; routes with exactly this method win over `*` routes at the
    ///     same node.
    func find(_ keys: [Substring], verb: Substring?, method: Substring) -> Int? {
        find(node: 0, index: 0, keys, verb: verb, method: method)
    }

    private func find(node: Int, index: Int, _ keys: [Substring], verb: Substring?, method: Substring) -> Int? {
        // `nodes[node].x` reads one member in place; a `let` copy of the node retained all four.
        if index == keys.count {
            return pick(nodes[node].terminal, verb: verb, method: method)
                ?? pick(nodes[node].deepTerminal, verb: verb, method: method)
        }
        if let child = nodes[node].literals[keys[index]],
            let found = find(node: child, index: index + 1, keys, verb: verb, method: method)
        {
            return found
        }
        if let child = nodes[node].wildcard,
            let found = find(node: child, index: index + 1, keys, verb: verb, method: method)
        {
            return found
        }
        return pick(nodes[node].deepTerminal, verb: verb, method: method)
    }

    private func pick(_ entries: [Entry], verb: Substring?, method: Substring) -> Int? {
        var any: Int?
        for entry in entries where entry.verb == verb {
            if entry.httpMethod.utf8.elementsEqual(method.utf8) { return entry.route }
            if any == nil && entry.httpMethod == "*" { any = entry.route }
        }
        return any
    }

    /// The HTTP methods of every route whose path matches, whatever its method.
    func methods(matching keys: [Substring], verb: Substring?, into methods: inout Set<String>) {
        collect(node: 0, index: 0, keys, verb: verb, into: &methods)
    }

    private func collect(node: Int, index: Int, _ keys: [Substring], verb: Substring?, into methods: inout Set<String>) {
        let current = nodes[node]
        func add(_ entries: [Entry]) {
            for entry in entries where entry.verb == verb { methods.insert(entry.httpMethod) }
        }
        add(current.deepTerminal)
        guard index < keys.count else {
            add(current.terminal)
            return
        }
        if let child = current.literals[keys[index]] {
            collect(node: child, index: index + 1, keys, verb: verb, into: &methods)
        }
        if let child = current.wildcard {
            collect(node: child, index: index + 1, keys, verb: verb, into: &methods)
        }
    }
}
