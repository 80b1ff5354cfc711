import ProtoSchema

extension FieldPathResolver {
    /// Why a query parameter cannot set `leaf`, the last field of its resolved path, or nil
    /// when it can: a scalar, an enum, a repeated scalar or enum, a well-known type with a string
    /// JSON form, or (as `name[key]=value`) an entry of a map whose values are scalars or enums.
    ///
    /// The one statement of the rule: query lookups apply it, and ``QueryFieldIndex`` applies it
    /// ahead of time to the paths it lays out. Nothing is built unless there is a problem.
    /// - Parameters:
    ///   - name: the decoded parameter name, for the message.
    ///   - leaf: the field the name resolves to (for `labels[env]`, `labels`).
    ///   - isMapEntry: whether the parameter has a `[key]`.
    func queryLeafProblem(_ name: String, leaf: FieldDescriptor, isMapEntry: Bool) -> RoutingError? {
        if isMapEntry {
            guard let entry = leaf.mapEntry, let valueField = pool[entry].field(number: 2) else {
                return .invalidQueryParameter(
                    name,
                    "query parameter '\(name)' uses [key] but \(leaf.name) is not a map field"
                )
            }
            switch valueField.type {
            case .message, .group:
                return .invalidQueryParameter(
                    name,
                    "query parameter '\(name)' sets a map entry whose value is a message, which cannot be set from the query"
                )
            default:
                break
            }
        } else if leaf.isMap {
            return .invalidQueryParameter(
                name,
                "query parameter '\(name)' names a map field; set one entry with '\(name)[key]=value'"
            )
        } else if case .message(let id) = leaf.type,
            leaf.isRepeated || !Self.scalarLikeWellKnownTypes.contains(pool[id].fullName)
        {
            return .invalidQueryParameter(
                name,
                "query parameter '\(name)' names a field of type \(kindDescription(of: leaf)); "
                    + "only scalar and enum fields (or their sub-fields, like '\(name).<field>') can be set from the query"
            )
        }
        if case .group = leaf.type {
            return .invalidQueryParameter(
                name,
                "query parameter '\(name)' names a group field, which cannot be set from the query"
            )
        }
        return nil
    }

    /// Whether a path can lead further (`a.b`): its field is a singular message field.
    static func isTraversable(_ field: FieldDescriptor) -> Bool {
        guard !field.isMap, !field.isRepeated, case .message = field.type else { return false }
        return true
    }
}

extension RoutingError {
    /// A ``Code/invalidQueryParameter`` error about the parameter `name`.
    static func invalidQueryParameter(_ name: String, _ message: String) -> RoutingError {
        RoutingError(code: .invalidQueryParameter, message: message, parameter: name)
    }
}
