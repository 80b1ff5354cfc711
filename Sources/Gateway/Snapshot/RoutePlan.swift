public import NIOCore
public import ProtoSchema
public import Routing
public import Transcoding

/// Everything a request on one route needs after the route match, resolved when the snapshot is
/// built: the method and backend, how the request becomes a message and the response a body, the
/// default deadline, the retry policy, and the labels metrics and logs use. A request reads its
/// plan by the matched route's index (``GatewaySnapshot/plans``); nothing is looked up by name
/// after the match.
public final class RoutePlan: Sendable {
    /// The route (verb, template, bindings, method).
    public let route: Route
    /// The gRPC method.
    public let method: MethodDescriptor
    /// The backend serving the method: its index in ``GatewaySnapshot/backends`` (and in each event
    /// loop's live clusters).
    public let backend: Int
    /// How the request (path, query and body) becomes the request message.
    public let request: RequestPlan
    /// How response messages become the response body.
    public let response: ResponseBodyWriter
    /// The deadline of calls without `Grpc-Timeout`: `methods.<name>.timeout`, else (unary calls
    /// only) the backend's `timeout`; nil = none.
    public let defaultTimeout: TimeAmount?
    /// Retries of failed attempts (unary methods with a `retry` policy only).
    public let retry: GatewayConfig.RetryPolicy?
    /// Names for metrics, access logs and the route table listing.
    public let labels: RouteLabels
    /// The route's metric handles, made once per label set and kept.
    public let telemetry: RouteTelemetry
    /// Credentials and rate limit checked before the call (`auth`, `rateLimits`); nil = none.
    let admission: RouteAdmission?
    /// CORS: `methods.<name>.cors`, else the top-level `cors`; nil = none (no CORS header, and
    /// preflights are answered as any `OPTIONS`).
    public let cors: CORSPolicy?

    init(
        route: Route,
        backend: BackendDefinition,
        request: RequestPlan,
        response: ResponseBodyWriter,
        defaultTimeout: TimeAmount?,
        retry: GatewayConfig.RetryPolicy?,
        cors: CORSPolicy?,
        admission: RouteAdmission? = nil
    ) {
        self.route = route
        self.method = route.method
        self.backend = backend.index
        self.request = request
        self.response = response
        self.defaultTimeout = defaultTimeout
        self.retry = retry
        self.admission = admission
        self.cors = cors
        self.labels = RouteLabels(
            httpRoute: route.pathTemplate,
            rpcMethod: "\(route.method.serviceFullName)/\(route.method.name)",
            backend: backend.name
        )
        self.telemetry = RouteTelemetry(
            httpRoute: labels.httpRoute,
            rpcMethod: labels.rpcMethod,
            backend: labels.backend
        )
    }
}

/// The names a route is known by in metrics and logs: never raw paths or user input.
public struct RouteLabels: Sendable, Hashable {
    /// The path template exactly as written in the annotation or rule (`/v1/users/{id}`).
    public let httpRoute: String
    /// `package.Service/Method`.
    public let rpcMethod: String
    /// The backend's name.
    public let backend: String
}

/// How one route's request becomes its request message: the body's form, the transcoder with the
/// method's JSON options, and the implied `update_mask` of PATCH routes.
public struct RequestPlan: Sendable {
    /// The request message type.
    public let input: MessageID
    /// What the HTTP body is.
    public let body: RequestBodyForm
    /// JSON → protobuf with the method's options.
    public let transcoder: RequestTranscoder
    /// The `update_mask` field a PATCH body fills when the URL does not set it (grpc-gateway's
    /// `allow_patch_feature`), with the body field's message type.
    public let impliedUpdateMask: (field: FieldDescriptor, bodyType: MessageID)?
}
