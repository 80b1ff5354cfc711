import ProtoSchema
import TextCoding

extension RouteMatcher {
    /// Appends one binding per path variable of the matched route, in template order.
    ///
    /// A value is one span of the request path's bytes (a multi-segment value keeps its inner
    /// `/`s), decoded only when the path has escapes: single-segment values fully,
    /// multi-segment ones (`{x=a/*}`, `**`) except `%2F`/`%2f`; `+` is never a space.
    /// - Parameters:
    ///   - segments: the path's segments as matched (the verb already split off).
    ///   - hasEscapes: whether the path has a `%XX` escape.
    func appendPathBindings(
        _ plan: RouteMatchPlan,
        route: Route,
        segments: PathSegments,
        hasEscapes: Bool,
        to bindings: inout [FieldBinding]
    ) throws(RoutingError) {
        // The request segment at `position` is number `segment`.
        var segment = 0
        var position = segments.firstPosition
        for capture in plan.captures {
            while segment < capture.firstSegment {
                position = segments.segmentEnd(from: position) + 1
                segment += 1
            }
            let start = min(position, segments.end)
            var end = segments.end
            if !capture.endsWithDeepWildcard {
                end = segments.segmentEnd(from: position)
                segment += 1
                while segment < capture.endSegment {
                    end = segments.segmentEnd(from: end + 1)
                    segment += 1
                }
                position = end + 1
            }
            let raw = segments.slice(start..<end)
            let value =
                hasEscapes
                ? PercentEncoding.decodedString(raw, keepEncodedSlash: capture.isMultiSegment, plusAsSpace: false)
                : String(decoding: raw, as: UTF8.self)
            guard let value else {
                let variable = route.template.variables[capture.variable]
                throw RoutingError(
                    code: .invalidPathEncoding,
                    message:
                        "the value of path variable {\(variable.dottedFieldPath)} is not UTF-8 after percent-decoding"
                )
            }
            bindings.append(FieldBinding(fieldPath: capture.fields, value: value))
        }
    }
}
