public import ProtoSchema

/// One HTTP binding of a gRPC method, before validation.
///
/// The gateway flattens `google.api.http` annotations (with their `additional_bindings`) and
/// `Gateway.yaml` `http.rules` into these, then builds a ``RouteTable`` from all of them.
public struct RouteDefinition: Sendable {
    /// The gRPC method the route calls.
    public var method: MethodDescriptor
    /// The HTTP method (`GET`, `POST`, ...) or a `custom` kind: `HEAD`, or `*` for any method.
    public var verb: String
    /// The path template (`/v1/{name=shelves/*}`).
    public var pathTemplate: String
    /// `""` (no body), `"*"` (the whole request message) or a top-level request field name.
    public var body: String
    /// `""` (the whole response message) or a top-level response field name.
    public var responseBody: String
    /// Where the binding came from, for error messages
    /// (`demo/user/v1/user.proto: demo.user.v1.UserService.GetUser` or `http.rules[2]`).
    public var source: String
    /// Whether a query parameter that names no request field is an error (the default) or ignored.
    public var rejectUnknownQueryParameters: Bool

    /// Creates a definition.
    public init(
        method: MethodDescriptor,
        verb: String,
        pathTemplate: String,
        body: String = "",
        responseBody: String = "",
        source: String,
        rejectUnknownQueryParameters: Bool = true
    ) {
        self.method = method
        self.verb = verb
        self.pathTemplate = pathTemplate
        self.body = body
        self.responseBody = responseBody
        self.source = source
        self.rejectUnknownQueryParameters = rejectUnknownQueryParameters
    }
}
