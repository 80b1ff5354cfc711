/// A problem with one HTTP binding, found while building a ``RouteTable``.
///
/// Bindings are user input (proto annotations and `Gateway.yaml` rules), so every problem names
/// where the binding came from (``source``) and, for template syntax errors, the 1-based column in
/// the path template.
public struct RouteConfigError: Error, Sendable, CustomStringConvertible {
    /// The kind of binding problem.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Wrapped: Hashable, Sendable {
            case invalidTemplate
            case unknownField
            case invalidBinding
            case conflictingRoute
        }

        private let wrapped: Wrapped
        private init(_ wrapped: Wrapped) { self.wrapped = wrapped }

        /// The path template does not follow the `google.api.HttpRule` grammar.
        public static let invalidTemplate = Code(.invalidTemplate)
        /// A path variable, `body` or `response_body` names a field the message does not have.
        public static let unknownField = Code(.unknownField)
        /// A field exists but cannot be bound this way (repeated or message path variable, a field
        /// bound twice, an empty verb).
        public static let invalidBinding = Code(.invalidBinding)
        /// Two bindings have the same verb and the same template shape, so one could never match.
        public static let conflictingRoute = Code(.conflictingRoute)

        /// A one-line account, for logs and error bodies.
        public var description: String { String(describing: wrapped) }
    }

    /// What kind of problem this is.
    public var code: Code
    /// A human-readable sentence describing the problem.
    public var message: String
    /// Where the binding came from (for example `demo/user/v1/user.proto: demo.user.v1.UserService.GetUser`).
    public var source: String
    /// The 1-based column in the path template, for syntax errors.
    public var column: Int?
    /// The underlying error, if any.
    public var cause: (any Error)?

    /// Creates a route configuration error.
    public init(code: Code, message: String, source: String = "", column: Int? = nil, cause: (any Error)? = nil) {
        self.code = code
        self.message = message
        self.source = source
        self.column = column
        self.cause = cause
    }

    /// A one-line account, for logs and error bodies.
    public var description: String {
        var text = source.isEmpty ? "" : "\(source): "
        text += message
        if let column { text += " (column \(column))" }
        if let cause { text += " (\(cause))" }
        return text
    }
}

/// Every problem found while building a ``RouteTable``, in definition order.
public struct RouteTableError: Error, Sendable, CustomStringConvertible {
    /// The problems, at least one.
    public var problems: [RouteConfigError]

    /// Creates an error from the collected problems.
    public init(problems: [RouteConfigError]) {
        self.problems = problems
    }

    /// A one-line account, for logs and error bodies.
    public var description: String {
        problems.map(\.description).joined(separator: "\n")
    }
}
