import ProtoSchema
import Routing

/// One row of the route table as operators see it (`GET /routes`, `portico routes`,
/// `portico check`): the verb, the template exactly as written, the gRPC method, the backend, the
/// body and response-body selectors, and whether the binding came from a proto annotation or
/// from `http.rules` in `Gateway.yaml`.
public struct RouteListing: Sendable, Equatable {
    /// Where a binding was declared.
    public enum Source: String, Sendable {
        /// A `google.api.http` annotation (or one of its `additional_bindings`) in a proto.
        case annotation
        /// An `http.rules` entry of `Gateway.yaml`.
        case yaml
        /// `http.autoMapping`: `POST /<package.Service>/<Method>` for a method without a binding.
        case auto
    }

    /// `GET`, `POST`, ... (`*` for a custom `*` kind).
    public var verb: String
    /// The path template as written (`/v1/users/{id}`).
    public var template: String
    /// `package.Service/Method`.
    public var grpcMethod: String
    /// The backend's name.
    public var backend: String
    /// `""`, `"*"` or the body field's name.
    public var body: String
    /// `""` or the response field's name.
    public var responseBody: String
    /// Annotation or YAML rule.
    public var source: Source

    /// Every route of `snapshot`, in table order.
    public static func rows(of snapshot: GatewaySnapshot) -> [RouteListing] {
        snapshot.plans.map { plan in
            let route = plan.route
            return RouteListing(
                verb: route.verb,
                template: route.pathTemplate,
                grpcMethod: plan.labels.rpcMethod,
                backend: plan.labels.backend,
                body: route.body.selectorText,
                responseBody: route.responseBody?.name ?? "",
                source: Source(routeSource: route.source)
            )
        }
    }

    /// One line of the printed table: `GET /v1/users/{id}  demo.user.v1.UserService/GetUser  [backend demo, yaml]`.
    public var line: String {
        var extras = ["backend \(backend)"]
        if !body.isEmpty { extras.append("body \(body)") }
        if !responseBody.isEmpty { extras.append("response_body \(responseBody)") }
        extras.append(source.rawValue)
        return "\(verb) \(template)  \(grpcMethod)  [\(extras.joined(separator: ", "))]"
    }
}

extension RouteListing.Source {
    /// The source of a route whose ``Route/source`` is `source`: YAML rules are named by their
    /// YAML path (`http.rules[2]`, see `SnapshotBuilder+Services.swift`), annotations by their file.
    init(routeSource source: String) {
        if source.hasPrefix("http.rules") {
            self = .yaml
        } else if source.hasPrefix(SnapshotBuilder.autoMappingSource) {
            self = .auto
        } else {
            self = .annotation
        }
    }
}

extension BodySelector {
    /// The selector as written in an HttpRule: `""`, `"*"` or the field's name.
    var selectorText: String {
        switch self {
        case .none: ""
        case .wholeMessage: "*"
        case .field(let field): field.name
        }
    }
}
