import TextCoding

extension RouteTrie {
    /// Collects routes into a trie of dictionaries, then lays it out flat as a ``RouteTrie``.
    struct Builder {
        private struct Node {
            /// Literal children by normal form; `String` keys, so literals that are equal as
            /// `String`s share a child, as they did when lookups hashed request segments.
            var literals: [String: Int] = [:]
            /// The keys of ``literals`` in insertion order, for a deterministic layout.
            var literalOrder: [String] = []
            var wildcard: Int?
            var terminal: [Entry] = []
            var deepTerminal: [Entry] = []
        }

        private var nodes = [Node()]
        private var methods = ByteStringList()
        private var verbs = ByteStringList()

        /// An empty trie.
        init() {}

        /// Adds a route.
        mutating func insert(_ template: PathTemplate, httpMethod: String, route: Int) {
            var verb = -1
            if let text = template.verb { verb = verbIndex(text) }
            let entry = Entry(
                method: methodIndex(httpMethod),
                matchesAnyMethod: httpMethod == "*",
                verb: verb,
                route: route
            )
            var node = 0
            for segment in template.segments {
                switch segment {
                case .literal(let text):
                    let key = String(PercentEncoding.normalizedLiteral(text[...]))
                    if let child = nodes[node].literals[key] {
                        node = child
                    } else {
                        nodes.append(Node())
                        nodes[node].literals[key] = nodes.count - 1
                        nodes[node].literalOrder.append(key)
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

        /// Methods are told apart by their bytes, as requests' methods are compared.
        private mutating func methodIndex(_ method: String) -> Int {
            if let index = methods.texts.firstIndex(where: { $0.utf8.elementsEqual(method.utf8) }) { return index }
            methods.append(method)
            return methods.count - 1
        }

        /// Verbs are told apart by `String` equality, as requests' verbs are compared.
        private mutating func verbIndex(_ verb: String) -> Int {
            if let index = verbs.texts.firstIndex(of: verb) { return index }
            verbs.append(verb)
            return verbs.count - 1
        }

        /// The trie, laid out flat.
        func build() -> RouteTrie {
            var flatNodes: [RouteTrie.Node] = []
            flatNodes.reserveCapacity(nodes.count)
            var literals = ByteStringList()
            var literalChildren: [Int] = []
            var entries: [Entry] = []
            for node in nodes {
                let firstLiteral = literals.count
                var hasNonASCIILiteral = false
                for key in node.literalOrder {
                    literals.append(key)
                    literalChildren.append(node.literals[key]!)
                    if !literals.isASCII(literals.count - 1) { hasNonASCIILiteral = true }
                }
                let firstTerminal = entries.count
                entries.append(contentsOf: node.terminal)
                let firstDeepTerminal = entries.count
                entries.append(contentsOf: node.deepTerminal)
                flatNodes.append(
                    RouteTrie.Node(
                        literals: firstLiteral..<literals.count,
                        hasNonASCIILiteral: hasNonASCIILiteral,
                        wildcard: node.wildcard,
                        terminal: firstTerminal..<firstDeepTerminal,
                        deepTerminal: firstDeepTerminal..<entries.count
                    )
                )
            }
            return RouteTrie(
                nodes: flatNodes,
                literals: literals,
                literalChildren: literalChildren,
                entries: entries,
                methods: methods,
                getMethod: methods.texts.firstIndex { $0.utf8.elementsEqual("GET".utf8) },
                verbs: verbs
            )
        }
    }
}
