public import ProtoSchema
import Routing
import Transcoding

/// What a route's HTTP request body is, decided once (in its ``RoutePlan``) from its `body`
/// selector and the method's input type; ``RequestBuilder`` (whole bodies),
/// ``RequestStreamEncoder`` (streamed bodies) and WebSocket frames all read the body the same way.
public enum RequestBodyForm: Sendable {
    /// The route takes no body (`body` unset): the message comes from the path and query.
    case none
    /// JSON for the whole input message (`body: "*"`) or for one field of it (`body: "field"`).
    case json(field: FieldDescriptor?)
    /// Raw bytes for a singular `bytes` or `google.api.HttpBody` field (`body: "content"`).
    case rawField(FieldDescriptor)
    /// Raw bytes for an input message that is itself `google.api.HttpBody` (`body: "*"`).
    case httpBody

    /// The body form of `route`.
    init(route: Route, pool: DescriptorPool) {
        switch route.body {
        case .none:
            self = .none
        case .field(let field) where RawBody.isRawField(field, in: pool):
            self = .rawField(field)
        case .field(let field):
            self = .json(field: field)
        case .wholeMessage where RawBody.isHttpBody(route.method.input, in: pool):
            self = .httpBody
        case .wholeMessage:
            self = .json(field: nil)
        }
    }

    /// Whether the body is raw bytes rather than JSON.
    public var isRaw: Bool {
        switch self {
        case .rawField, .httpBody: true
        case .none, .json: false
        }
    }
}
