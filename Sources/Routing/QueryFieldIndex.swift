import ProtoSchema

/// Query parameter names resolved ahead of time: for every route's request message, the tree of
/// field paths a parameter can name (`page`, `page.size`, ...), each with its resolved
/// `[FieldDescriptor]` and whether a parameter can set it, and every reachable message (whose
/// ``ProtoSchema/MessageDescriptor/fieldIndexByName`` finds a field by the name's bytes).
///
/// A lookup walks a name's dotted segments by bytes from the route's root: no `String` is made,
/// no dictionary keyed by `String` is hashed, and the path handed to the binding is the stored
/// array (no allocation). Paths are laid out breadth-first up to ``nodeBudget`` per request
/// message (recursive messages have endless paths); deeper names are resolved the same way
/// through the messages' name tables, building their path then.
///
/// Only success is decided here: a name this index does not resolve, or resolves to a field a
/// parameter cannot set, goes through ``FieldPathResolver`` for the exact error (or, on a lenient
/// route, to be skipped). A class, so that lookups read it in place.
final class QueryFieldIndex: Sendable {
    /// A field path from a request message (a root node has no fields).
    struct Node: Sendable {
        /// The table number (position in ``messages``) of the message the path's last field
        /// holds, when names can follow it (``FieldPathResolver/isTraversable(_:)``; for a root,
        /// the request message), or -1.
        let table: Int
        /// Index of the first child node, one per field of that message in field order, or -1
        /// when they were not laid out.
        var children: Int
        /// Whether `name=value` can set the path.
        let isSettable: Bool
        /// Whether `name[key]=value` can set an entry of the path.
        let isSettableAsMapEntry: Bool
    }

    /// A resolved parameter name.
    struct Resolved {
        /// The field path, request message to leaf.
        let fields: [FieldDescriptor]
        /// Whether `name=value` can set it.
        let isSettable: Bool
        /// Whether `name[key]=value` can set an entry of it.
        let isSettableAsMapEntry: Bool
    }

    /// How many nodes (field paths) are laid out per request message at most.
    static let nodeBudget = 256

    private let nodes: [Node]
    /// The field path of each node.
    private let paths: [[FieldDescriptor]]
    /// The messages names can reach, by table number.
    private let messages: [MessageDescriptor]
    /// Table number by ``ProtoSchema/MessageID/index``, for paths past the laid-out ones.
    private let tableByMessage: [Int: Int]
    private let resolver: FieldPathResolver

    /// The root node of each request message, by ``ProtoSchema/MessageID/index``.
    let roots: [Int: Int]

    /// Lays out the paths of `requests`, the routes' request messages.
    init(pool: DescriptorPool, requests: [MessageID]) {
        let resolver = FieldPathResolver(pool: pool)
        // Every message a name can reach: the requests, then singular message fields within.
        var tableByMessage: [Int: Int] = [:]
        var messages: [MessageDescriptor] = []
        var pending = requests
        while let id = pending.popLast() {
            guard tableByMessage[id.index] == nil else { continue }
            tableByMessage[id.index] = messages.count
            messages.append(pool[id])
            for field in pool[id].fields where FieldPathResolver.isTraversable(field) {
                if case .message(let next) = field.type { pending.append(next) }
            }
        }
        self.resolver = resolver
        self.tableByMessage = tableByMessage
        self.messages = messages

        var nodes: [Node] = []
        var paths: [[FieldDescriptor]] = []
        var roots: [Int: Int] = [:]
        for request in requests where roots[request.index] == nil {
            roots[request.index] = nodes.count
            let table = tableByMessage[request.index]!
            nodes.append(Node(table: table, children: -1, isSettable: false, isSettableAsMapEntry: false))
            paths.append([])
            // Breadth first, so that a budget cut leaves the deepest paths out.
            var budget = Self.nodeBudget - 1
            var queue = [nodes.count - 1]
            var next = 0
            while next < queue.count {
                let parent = queue[next]
                next += 1
                let fields = messages[nodes[parent].table].fields
                guard fields.count <= budget else { continue }
                budget -= fields.count
                nodes[parent].children = nodes.count
                for field in fields {
                    let child = nodes.count
                    nodes.append(Self.node(for: field, resolver: resolver, tableByMessage: tableByMessage))
                    paths.append(paths[parent] + [field])
                    if nodes[child].table >= 0 { queue.append(child) }
                }
            }
        }
        self.nodes = nodes
        self.paths = paths
        self.roots = roots
    }

    private static func node(for leaf: FieldDescriptor, resolver: FieldPathResolver, tableByMessage: [Int: Int]) -> Node
    {
        Node(
            table: table(after: leaf, in: tableByMessage),
            children: -1,
            isSettable: resolver.queryLeafProblem("", leaf: leaf, isMapEntry: false) == nil,
            isSettableAsMapEntry: resolver.queryLeafProblem("", leaf: leaf, isMapEntry: true) == nil
        )
    }

    private static func table(after field: FieldDescriptor, in tableByMessage: [Int: Int]) -> Int {
        guard FieldPathResolver.isTraversable(field), case .message(let id) = field.type else { return -1 }
        return tableByMessage[id.index] ?? -1
    }

    /// Resolves a dotted name (UTF-8 bytes, proto or JSON name per segment) from the root node
    /// `root`; nil when some segment names no field or follows a field that is not a singular
    /// message (the caller then asks ``FieldPathResolver`` why).
    func resolve(_ name: UnsafeBufferPointer<UInt8>, from root: Int) -> Resolved? {
        var node = root
        var start = 0
        while true {
            var end = start
            while end < name.count && name[end] != UInt8(ascii: ".") { end += 1 }
            let current = nodes[node]
            guard current.table >= 0, let position = position(of: name[start..<end], in: current.table) else {
                return nil
            }
            guard current.children >= 0 else {
                return resolve(name, from: end, after: paths[node], field: messages[current.table].fields[position])
            }
            node = current.children + position
            guard end < name.count else { break }
            start = end + 1
        }
        let found = nodes[node]
        return Resolved(
            fields: paths[node],
            isSettable: found.isSettable,
            isSettableAsMapEntry: found.isSettableAsMapEntry
        )
    }

    /// Resolves the rest of a name past the laid-out paths: `field`, reached by `prefix`, was
    /// named by the segment ending at `end`.
    private func resolve(
        _ name: UnsafeBufferPointer<UInt8>,
        from end: Int,
        after prefix: [FieldDescriptor],
        field: FieldDescriptor
    ) -> Resolved? {
        var fields = prefix
        var leaf = field
        fields.append(leaf)
        var end = end
        while end < name.count {
            let start = end + 1
            end = start
            while end < name.count && name[end] != UInt8(ascii: ".") { end += 1 }
            let table = Self.table(after: leaf, in: tableByMessage)
            guard table >= 0, let position = position(of: name[start..<end], in: table) else { return nil }
            leaf = messages[table].fields[position]
            fields.append(leaf)
        }
        return Resolved(
            fields: fields,
            isSettable: resolver.queryLeafProblem("", leaf: leaf, isMapEntry: false) == nil,
            isSettableAsMapEntry: resolver.queryLeafProblem("", leaf: leaf, isMapEntry: true) == nil
        )
    }

    /// The position in its message's fields of the field `segment` names (a proto, JSON or
    /// group name, by its UTF-8 bytes), in the message of table `table`.
    @inline(__always)
    private func position(of segment: Slice<UnsafeBufferPointer<UInt8>>, in table: Int) -> Int? {
        let bytes = UnsafeRawBufferPointer(UnsafeBufferPointer(rebasing: segment))
        return messages[table].fieldIndexByName.value(for: bytes).map { Int($0) }
    }
}
