import TextCoding
import ProtoSchema

extension RouteTable {
    /// Parses `name=value&...` and appends one binding per parameter, in query order.
    ///
    /// Names are dotted field paths (proto or JSON name per segment); `+` is a space and `%XX`
    /// escapes are decoded in names and values; a parameter without `=` has the value `""`.
    /// A leaf must be a scalar, an enum, a repeated scalar or enum (one binding per occurrence) or
    /// a well-known type with a string JSON form (Timestamp, Duration, FieldMask, wrappers).
    func appendQueryBindings(
        for route: Route,
        query: Substring,
        to bindings: inout [FieldBinding]
    ) throws(RoutingError) {
        let pathBindings = bindings.count
        let resolver = FieldPathResolver(pool: pool)
        for parameter in query.splitASCII(UInt8(ascii: "&")) where !parameter.isEmpty {
            let equals = parameter.utf8.firstIndex(of: UInt8(ascii: "="))
            let rawName = parameter[..<(equals ?? parameter.endIndex)]
            let rawValue = equals.map { parameter[parameter.utf8.index(after: $0)...] } ?? ""
            guard let name = PercentEncoding.decodedString(rawName, plusAsSpace: true) else {
                throw RoutingError(
                    code: .invalidQueryParameter,
                    message: "query parameter name '\(rawName)' is not valid percent-encoded UTF-8",
                    parameter: String(rawName)
                )
            }
            guard let value = PercentEncoding.decodedString(rawValue, plusAsSpace: true) else {
                throw RoutingError(
                    code: .invalidQueryParameter,
                    message: "the value of query parameter '\(name)' is not valid percent-encoded UTF-8",
                    parameter: name
                )
            }
            if case .wholeMessage = route.body {
                guard route.rejectUnknownQueryParameters else { continue }
                throw RoutingError(
                    code: .unknownQueryParameter,
                    message: "unknown query parameter '\(name)': this route takes the whole request from the body",
                    parameter: name
                )
            }

            // `labels[env]=prod` sets one entry of a map field.
            var fieldName = name[...]
            var mapKey: String?
            if name.hasSuffix("]"), let open = name.firstIndex(of: "[") {
                fieldName = name[..<open]
                mapKey = String(name[name.index(after: open)..<name.index(before: name.endIndex)])
            }
            let fields: [FieldDescriptor]
            switch resolver.resolve(String(fieldName), from: route.method.input) {
            case .success(let resolved):
                fields = resolved
            case .failure(let problem):
                if case .unknownField = problem {
                    guard route.rejectUnknownQueryParameters else { continue }
                    throw RoutingError(
                        code: .unknownQueryParameter,
                        message: "unknown query parameter " + FieldPathResolver.describe(problem, path: name),
                        parameter: name
                    )
                }
                throw invalid(name, FieldPathResolver.describe(problem, path: name))
            }

            let leaf = fields[fields.count - 1]
            if let mapKey {
                try checkMapEntryParameter(name, leaf: leaf, key: mapKey)
            } else if leaf.isMap {
                throw invalid(name, "query parameter '\(name)' names a map field; set one entry with '\(name)[key]=value'")
            } else if case .message(let id) = leaf.type,
                leaf.isRepeated || !FieldPathResolver.scalarLikeWellKnownTypes.contains(pool[id].fullName)
            {
                throw invalid(
                    name,
                    "query parameter '\(name)' names a field of type \(resolver.kindDescription(of: leaf)); "
                        + "only scalar and enum fields (or their sub-fields, like '\(name).<field>') can be set from the query"
                )
            }
            if case .group = leaf.type {
                throw invalid(name, "query parameter '\(name)' names a group field, which cannot be set from the query")
            }
            for binding in bindings[..<pathBindings] where Self.overlaps(binding.fieldPath, fields) {
                throw invalid(name, "query parameter '\(name)' sets a field that the path already binds")
            }
            if case .field(let bodyField) = route.body, bodyField.number == fields[0].number {
                throw invalid(name, "query parameter '\(name)' sets a field that the request body already binds")
            }
            for binding in bindings[pathBindings...] where Self.overlaps(binding.fieldPath, fields) {
                if let mapKey, binding.fieldPath.count == fields.count, binding.mapKey != mapKey { continue }
                if binding.fieldPath.count != fields.count {
                    throw invalid(
                        name,
                        "query parameters '\(binding.dottedPath)' and '\(name)' set the same field, one inside the other"
                    )
                }
                if !leaf.isRepeated {
                    throw invalid(name, "query parameter '\(name)' is given more than once but its field is not repeated")
                }
            }
            bindings.append(FieldBinding(fieldPath: fields, value: value, mapKey: mapKey))
        }
    }

    /// A `field[key]` parameter must name a map whose values are scalars or enums.
    private func checkMapEntryParameter(_ name: String, leaf: FieldDescriptor, key: String) throws(RoutingError) {
        guard let entry = leaf.mapEntry, let valueField = pool[entry].field(number: 2) else {
            throw invalid(name, "query parameter '\(name)' uses [key] but \(leaf.name) is not a map field")
        }
        switch valueField.type {
        case .message, .group:
            throw invalid(name, "query parameter '\(name)' sets a map entry whose value is a message, which cannot be set from the query")
        default:
            break
        }
    }

    private func invalid(_ name: String, _ message: String) -> RoutingError {
        RoutingError(code: .invalidQueryParameter, message: message, parameter: name)
    }

    /// Whether one path is a prefix of the other (so they set the same or nested fields).
    private static func overlaps(_ a: [FieldDescriptor], _ b: [FieldDescriptor]) -> Bool {
        zip(a, b).allSatisfy { $0.number == $1.number }
    }
}
