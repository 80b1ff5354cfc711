/// A request that matched a route's path but whose URL cannot be turned into field bindings.
///
/// Thrown by ``RouteTable/lookup(method:path:query:)``; the gateway answers it with HTTP 400.
public struct RoutingError: Error, Sendable, CustomStringConvertible {
    /// The kind of request problem.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Wrapped: Hashable, Sendable {
            case unknownQueryParameter
            case invalidQueryParameter
            case invalidPathEncoding
        }

        private let wrapped: Wrapped
        private init(_ wrapped: Wrapped) { self.wrapped = wrapped }

        /// A query parameter names no field of the request message (strict routes only).
        public static let unknownQueryParameter = Code(.unknownQueryParameter)
        /// A query parameter names a field that cannot be set from the query (message, map, repeated
        /// message, already bound by the path or body, given twice) or is badly percent-encoded.
        public static let invalidQueryParameter = Code(.invalidQueryParameter)
        /// The path has a malformed `%XX` escape, or a path variable does not decode to UTF-8.
        public static let invalidPathEncoding = Code(.invalidPathEncoding)

        /// A one-line account, for logs and error bodies.
        public var description: String { String(describing: wrapped) }
    }

    /// What kind of problem this is.
    public var code: Code
    /// A human-readable sentence naming the parameter or path part.
    public var message: String
    /// The decoded query parameter name, when the problem is about one.
    public var parameter: String?
    /// The underlying error, if any.
    public var cause: (any Error)?

    /// Creates a routing error.
    public init(code: Code, message: String, parameter: String? = nil, cause: (any Error)? = nil) {
        self.code = code
        self.message = message
        self.parameter = parameter
        self.cause = cause
    }

    /// A one-line account, for logs and error bodies.
    public var description: String {
        if let cause { return "\(message) (\(cause))" }
        return message
    }
}
