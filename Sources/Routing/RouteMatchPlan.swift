import ProtoSchema

/// What a lookup needs of a matched ``Route``, compiled once with the table: where each path
/// variable's value is in the request path, and where its query parameters' names start in the
/// ``QueryFieldIndex``.
struct RouteMatchPlan: Sendable {
    /// How one path variable's value is cut from the request path.
    struct Capture: Sendable {
        /// Index of the first request segment captured.
        let firstSegment: Int
        /// Index just past the last request segment captured (unused with a `**`).
        let endSegment: Int
        /// Whether the value runs to the last segment (the variable ends with `**`).
        let endsWithDeepWildcard: Bool
        /// Whether the value is multi-segment, and so decoded except for `%2F`.
        let isMultiSegment: Bool
        /// Index of the variable in the template's variables.
        let variable: Int
        /// The variable's resolved field path.
        let fields: [FieldDescriptor]
    }

    /// One per template variable, in template (and so path) order.
    let captures: [Capture]
    /// The root node of the route's request message in the table's ``QueryFieldIndex``.
    let queryRoot: Int

    /// The plan of `route`, whose request message has the root node `queryRoot`.
    init(_ route: Route, queryRoot: Int) {
        captures = zip(route.template.variables, route.variableFields).enumerated().map { index, pair in
            let (variable, fields) = pair
            return Capture(
                firstSegment: variable.range.lowerBound,
                endSegment: variable.range.upperBound,
                endsWithDeepWildcard: variable.endsWithDeepWildcard,
                isMultiSegment: variable.isMultiSegment,
                variable: index,
                fields: fields
            )
        }
        self.queryRoot = queryRoot
    }
}
