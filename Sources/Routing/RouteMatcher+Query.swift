import ProtoSchema
import TextCoding

extension RouteMatcher {
    /// Parses `name=value&...` and appends one binding per parameter, in query order.
    ///
    /// Names are dotted field paths (proto or JSON name per segment); `+` is a space and `%XX`
    /// escapes are decoded in names and values; a parameter without `=` has the value `""`.
    /// A leaf must be a scalar, an enum, a repeated scalar or enum (one binding per occurrence) or
    /// a well-known type with a string JSON form (Timestamp, Duration, FieldMask, wrappers); a
    /// map entry is set with `name[key]=value`.
    ///
    /// Each parameter is first tried by bytes (``appendPlainQueryBinding(_:for:plan:pathBindings:to:)``);
    /// whatever that does not accept goes the general way, which gives the error or skips it.
    /// - Parameters:
    ///   - query: the raw query string without `?`.
    ///   - bytes: its UTF-8 bytes.
    func appendQueryBindings(
        for route: Route,
        plan: RouteMatchPlan,
        query: Substring,
        bytes: UnsafeBufferPointer<UInt8>,
        to bindings: inout [FieldBinding]
    ) throws(RoutingError) {
        let pathBindings = bindings.count
        var start = 0
        while start < bytes.count {
            var end = start
            while end < bytes.count && bytes[end] != UInt8(ascii: "&") { end += 1 }
            if end > start,
                !appendPlainQueryBinding(
                    UnsafeBufferPointer(rebasing: bytes[start..<end]),
                    for: route,
                    plan: plan,
                    pathBindings: pathBindings,
                    to: &bindings
                )
            {
                try appendQueryBinding(
                    query.slice(bytes: start..<end),
                    for: route,
                    pathBindings: pathBindings,
                    to: &bindings
                )
            }
            start = end + 1
        }
    }

    /// Appends the binding of a plain parameter and returns true; returns false, appending
    /// nothing, for any other.
    ///
    /// Plain: the route takes query parameters, the name is ASCII without `%` or `+` (so it is
    /// its own decoded text), it resolves in the ``QueryFieldIndex`` to a field a parameter can
    /// set, that field clashes with nothing bound before, and the value decodes. Then the
    /// binding is exactly the general path's, made without a `String` for the name.
    private func appendPlainQueryBinding(
        _ parameter: UnsafeBufferPointer<UInt8>,
        for route: Route,
        plan: RouteMatchPlan,
        pathBindings: Int,
        to bindings: inout [FieldBinding]
    ) -> Bool {
        if case .wholeMessage = route.body { return false }
        var equals = 0
        var open: Int?
        while equals < parameter.count {
            let byte = parameter[equals]
            if byte == UInt8(ascii: "=") { break }
            if byte >= 0x80 || byte == UInt8(ascii: "%") || byte == UInt8(ascii: "+") { return false }
            if byte == UInt8(ascii: "["), open == nil { open = equals }
            equals += 1
        }
        // `labels[env]=prod` sets one entry of a map field.
        var nameEnd = equals
        var mapKey: String?
        if let open, parameter[equals - 1] == UInt8(ascii: "]") {
            nameEnd = open
            mapKey = String(
                decoding: UnsafeBufferPointer(rebasing: parameter[(open + 1)..<(equals - 1)]),
                as: UTF8.self
            )
        }
        guard
            let resolved = queryFields.resolve(
                UnsafeBufferPointer(rebasing: parameter[..<nameEnd]),
                from: plan.queryRoot
            ),
            mapKey == nil ? resolved.isSettable : resolved.isSettableAsMapEntry,
            queryBindingConflict(
                "",
                fields: resolved.fields,
                mapKey: mapKey,
                route: route,
                bindings: bindings,
                pathBindings: pathBindings
            ) == nil
        else { return false }
        let rawValue = equals < parameter.count ? parameter[(equals + 1)...] : parameter[equals...]
        guard let value = Self.queryValue(UnsafeBufferPointer(rebasing: rawValue)) else { return false }
        bindings.append(FieldBinding(fieldPath: resolved.fields, value: value, mapKey: mapKey))
        return true
    }

    /// A query value decoded (`+` is a space); nil when it is not valid percent-encoded UTF-8.
    @inline(__always)
    private static func queryValue(_ raw: UnsafeBufferPointer<UInt8>) -> String? {
        for byte in raw where byte == UInt8(ascii: "%") || byte == UInt8(ascii: "+") {
            return PercentEncoding.decodedString(raw, keepEncodedSlash: false, plusAsSpace: true)
        }
        return String(decoding: raw, as: UTF8.self)
    }
}
