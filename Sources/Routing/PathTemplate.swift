import TextCoding

/// A parsed `google.api.HttpRule` path template such as `/v1/{name=shelves/*/books/*}:archive`.
///
/// Variables are flattened into ``segments``: `{name=shelves/*}` contributes the segments
/// `shelves` and `*`, and a ``Variable`` records which segment range it captures. `{x}` is the
/// same as `{x=*}`.
///
/// ```swift
/// let template = try PathTemplate(parsing: "/v1/{name=shelves/*/books/*}:archive")
/// template.segments   // [.literal("v1"), .literal("shelves"), .wildcard, .literal("books"), .wildcard]
/// template.variables  // [Variable(fieldPath: ["name"], range: 1..<5)]
/// template.verb       // "archive"
/// ```
public struct PathTemplate: Hashable, Sendable, CustomStringConvertible {
    /// One path segment of the template.
    public enum Segment: Hashable, Sendable {
        /// Matches exactly this text (kept as written in the template, percent-escapes included).
        case literal(String)
        /// `*`: matches one segment.
        case wildcard
        /// `**`: matches zero or more segments; only allowed as the last segment.
        case deepWildcard
    }

    /// A `{field.path=...}` capture.
    public struct Variable: Hashable, Sendable {
        /// The dotted field path, split on `.` (`["page", "size"]`).
        public let fieldPath: [String]
        /// The template segments the variable captures.
        public let range: Range<Int>
        /// Whether the variable ends with `**` (and so captures everything up to the verb).
        public let endsWithDeepWildcard: Bool

        /// Creates a variable.
        public init(fieldPath: [String], range: Range<Int>, endsWithDeepWildcard: Bool) {
            self.fieldPath = fieldPath
            self.range = range
            self.endsWithDeepWildcard = endsWithDeepWildcard
        }

        /// Whether values are multi-segment (decoded except for `%2F`): more than one template
        /// segment, or a `**`.
        public var isMultiSegment: Bool { range.count > 1 || endsWithDeepWildcard }

        /// The dotted field path (`page.size`).
        public var dottedFieldPath: String { fieldPath.joined(separator: ".") }
    }

    /// The segments, variables flattened in.
    public let segments: [Segment]
    /// The variables in template order.
    public let variables: [Variable]
    /// The custom verb after the last `:` (`archive`), or nil.
    public let verb: String?

    /// Creates a template from parts; ``init(parsing:)`` is the usual way to get one.
    public init(segments: [Segment], variables: [Variable], verb: String?) {
        self.segments = segments
        self.variables = variables
        self.verb = verb
    }

    /// Whether the last segment is `**`.
    public var endsWithDeepWildcard: Bool { segments.last == .deepWildcard }

    /// The canonical text: `{x}` written as `{x=*}`, so that two spellings of one template print alike.
    public var description: String {
        var parts: [String] = []
        var index = 0
        var variableIterator = variables.makeIterator()
        var nextVariable = variableIterator.next()
        while index < segments.count {
            if let variable = nextVariable, variable.range.lowerBound == index {
                let inner = segments[variable.range].map(Self.text(of:)).joined(separator: "/")
                parts.append("{\(variable.dottedFieldPath)=\(inner)}")
                index = variable.range.upperBound
                nextVariable = variableIterator.next()
            } else {
                parts.append(Self.text(of: segments[index]))
                index += 1
            }
        }
        return "/" + parts.joined(separator: "/") + (verb.map { ":" + $0 } ?? "")
    }

    /// The template with variables erased and literals in RFC 3986 normal form
    /// (`/v1/*/books/*:verb`): two templates with the same shape match exactly the same paths.
    var shape: String {
        let parts = segments.map { segment in
            if case .literal(let text) = segment { return String(PercentEncoding.normalizedLiteral(text[...])) }
            return Self.text(of: segment)
        }
        return "/" + parts.joined(separator: "/") + (verb.map { ":" + $0 } ?? "")
    }

    private static func text(of segment: Segment) -> String {
        switch segment {
        case .literal(let text): return text
        case .wildcard: return "*"
        case .deepWildcard: return "**"
        }
    }
}
