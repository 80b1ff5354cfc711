public import ProtoSchema

/// Which part of the request message the HTTP request body fills.
public enum BodySelector: Hashable, Sendable {
    /// No body (`body: ""`): fields come from the path and the query string.
    case none
    /// `body: "*"`: the body is the whole request message; no query parameters.
    case wholeMessage
    /// `body: "field"`: the body is this top-level request field.
    case field(FieldDescriptor)
}

/// A validated binding in a ``RouteTable``, with every field path resolved. A class, built once:
/// each request's match refers to it instead of copying (and retaining) every field.
public final class Route: Sendable, CustomStringConvertible {
    /// The gRPC method the route calls.
    public let method: MethodDescriptor
    /// The HTTP method, or a custom kind (`HEAD`, `*` for any method).
    public let verb: String
    /// The parsed path template.
    public let template: PathTemplate
    /// The path template as written.
    public let pathTemplate: String
    /// What the request body fills.
    public let body: BodySelector
    /// The response field sent as the HTTP body, or nil for the whole response message.
    public let responseBody: FieldDescriptor?
    /// Where the binding came from.
    public let source: String
    /// Whether unknown query parameters are rejected (else ignored).
    public let rejectUnknownQueryParameters: Bool
    /// The resolved field path of each of ``template``'s variables, in the same order.
    public let variableFields: [[FieldDescriptor]]
    /// The route's position in ``RouteTable/routes``, so that per-route data kept elsewhere can
    /// be an array read after a match.
    public let index: Int

    /// Creates a route; ``RouteTable`` builds them from validated definitions, `index` being the
    /// route's position in ``RouteTable/routes``.
    public init(
        method: MethodDescriptor,
        verb: String,
        template: PathTemplate,
        pathTemplate: String,
        body: BodySelector,
        responseBody: FieldDescriptor?,
        source: String,
        rejectUnknownQueryParameters: Bool,
        variableFields: [[FieldDescriptor]],
        index: Int
    ) {
        self.method = method
        self.verb = verb
        self.template = template
        self.pathTemplate = pathTemplate
        self.body = body
        self.responseBody = responseBody
        self.source = source
        self.rejectUnknownQueryParameters = rejectUnknownQueryParameters
        self.variableFields = variableFields
        self.index = index
    }

    /// `GET /v1/users/{id} -> demo.user.v1.UserService.GetUser (unary)`.
    public var description: String {
        "\(verb) \(pathTemplate) -> \(method.fullName) (\(method.kind.rawValue))"
    }
}

/// A successful lookup: the route and the values the URL gives request fields.
public struct RouteMatch: Sendable {
    /// The matched route.
    public let route: Route
    /// Path variables first (template order), then query parameters (query order).
    public let bindings: [FieldBinding]
}

/// The outcome of ``RouteTable/lookup(method:path:query:)``.
public enum RouteLookup: Sendable {
    /// A route matched the method and path.
    case matched(RouteMatch)
    /// Some route matches the path, but none with this HTTP method; `allowed` lists the methods
    /// that would match (for the `Allow` header), sorted.
    case methodNotAllowed(allowed: [String])
    /// No route matches the path.
    case notFound
}
