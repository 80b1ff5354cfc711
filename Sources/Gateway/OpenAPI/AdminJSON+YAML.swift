import Yams

/// JSON values as YAML (`portico openapi --yaml`), keys in their order.
extension AdminJSON {
    /// The value as a YAML node; a string YAML would read as something else (`"200"`, `"true"`,
    /// `"null"`) is double-quoted so that it reads back as a string.
    var yamlNode: Node {
        switch self {
        case .string(let text): Self.stringNode(text)
        case .int(let value): Node(String(value))
        case .double(let value):
            Node(value.isFinite ? String(value) : (value.isNaN ? ".nan" : (value < 0 ? "-.inf" : ".inf")))
        case .bool(let value): Node(value ? "true" : "false")
        case .null: Node("null")
        case .array(let items): Node(items.map(\.yamlNode))
        case .object(let pairs): Node(pairs.map { (Self.stringNode($0.0), $0.1.yamlNode) })
        }
    }

    /// The value as YAML text.
    public func yamlText() throws -> String {
        try Yams.serialize(node: yamlNode)
    }

    private static func stringNode(_ text: String) -> Node {
        let plain = Node(text)
        return Resolver.default.resolveTag(of: plain) == .str ? plain : Node(text, .implicit, .doubleQuoted)
    }
}
