import ProtoSchema
import TextCoding

extension RouteMatcher {
    /// Appends the binding of one query parameter (`name=value`, still encoded), the general
    /// way: any name, decoded to a `String` and resolved by ``FieldPathResolver``, with the error
    /// that says what is wrong with it. A lenient route skips a parameter naming no field.
    ///
    /// Names are dotted field paths (proto or JSON name per segment); `+` is a space and `%XX`
    /// escapes are decoded in names and values; a parameter without `=` has the value `""`.
    /// - Parameter pathBindings: how many of `bindings` come from the path (the rest come from
    ///   earlier parameters).
    func appendQueryBinding(
        _ parameter: Substring,
        for route: Route,
        pathBindings: Int,
        to bindings: inout [FieldBinding]
    ) throws(RoutingError) {
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
            guard route.rejectUnknownQueryParameters else { return }
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
        let resolver = FieldPathResolver(pool: pool)
        let fields: [FieldDescriptor]
        switch resolver.resolve(String(fieldName), from: route.method.input) {
        case .success(let resolved):
            fields = resolved
        case .failure(let problem):
            if case .unknownField = problem {
                guard route.rejectUnknownQueryParameters else { return }
                throw RoutingError(
                    code: .unknownQueryParameter,
                    message: "unknown query parameter " + FieldPathResolver.describe(problem, path: name),
                    parameter: name
                )
            }
            throw .invalidQueryParameter(name, FieldPathResolver.describe(problem, path: name))
        }
        if let problem = resolver.queryLeafProblem(name, leaf: fields[fields.count - 1], isMapEntry: mapKey != nil) {
            throw problem
        }
        if let problem = queryBindingConflict(
            name,
            fields: fields,
            mapKey: mapKey,
            route: route,
            bindings: bindings,
            pathBindings: pathBindings
        ) {
            throw problem
        }
        bindings.append(FieldBinding(fieldPath: fields, value: value, mapKey: mapKey))
    }

    /// Why a parameter setting `fields` clashes with what the request already sets, or nil:
    /// a field the path binds (or one inside or around it), the body field, or the same field
    /// as an earlier parameter unless that field is repeated (or a different map entry).
    /// Nothing is built unless there is a clash.
    func queryBindingConflict(
        _ name: String,
        fields: [FieldDescriptor],
        mapKey: String?,
        route: Route,
        bindings: [FieldBinding],
        pathBindings: Int
    ) -> RoutingError? {
        // By index, reading one member: `for binding in` copied (retained) every binding.
        for index in 0..<pathBindings where Self.overlaps(bindings[index].fieldPath, fields) {
            return .invalidQueryParameter(name, "query parameter '\(name)' sets a field that the path already binds")
        }
        if case .field(let bodyField) = route.body, bodyField.number == fields[0].number {
            return .invalidQueryParameter(
                name,
                "query parameter '\(name)' sets a field that the request body already binds"
            )
        }
        for index in pathBindings..<bindings.count where Self.overlaps(bindings[index].fieldPath, fields) {
            let count = bindings[index].fieldPath.count
            if let mapKey, count == fields.count, bindings[index].mapKey != mapKey { continue }
            if count != fields.count {
                return .invalidQueryParameter(
                    name,
                    "query parameters '\(bindings[index].dottedPath)' and '\(name)' set the same field, one inside the other"
                )
            }
            if !fields[fields.count - 1].isRepeated {
                return .invalidQueryParameter(
                    name,
                    "query parameter '\(name)' is given more than once but its field is not repeated"
                )
            }
        }
        return nil
    }

    /// Whether one path is a prefix of the other (so they set the same or nested fields).
    private static func overlaps(_ a: [FieldDescriptor], _ b: [FieldDescriptor]) -> Bool {
        for index in 0..<min(a.count, b.count) where a[index] !== b[index] && a[index].number != b[index].number {
            return false
        }
        return true
    }
}
