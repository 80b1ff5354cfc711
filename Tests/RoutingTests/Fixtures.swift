import Foundation
import ProtoSchema
import Routing
import Testing

/// Shared descriptors and helpers: the demo descriptor set and routes bound to
/// `demo.echo.v1.EchoService.Echo`, whose `Everything` message has every field kind.
enum Fixtures {
    static let pool: DescriptorPool = {
        let url = URL(fileURLWithPath: #filePath)
            .deletingLastPathComponent()
            .deletingLastPathComponent()
            .deletingLastPathComponent()
            .appendingPathComponent("Protos/demo.binpb")
        do {
            let data = try Data(contentsOf: url)
            return try DescriptorPool(serializedSets: [Array(data)])
        } catch {
            fatalError("cannot load \(url.path): \(error)")
        }
    }()

    static var echo: MethodDescriptor { pool.method(named: "demo.echo.v1.EchoService.Echo")! }

    /// A route spec: `"GET /a/{f_string}"`, optionally with a body selector.
    struct Spec {
        var verb: String
        var template: String
        var body: String = ""
        var strict = true
    }

    /// Builds a table of Echo routes from `"VERB /template"` strings, sources `routes[i]`.
    static func table(_ specs: [String]) throws -> RouteTable {
        try table(
            specs.map { spec in
                let parts = spec.split(separator: " ", maxSplits: 1)
                return Spec(verb: String(parts[0]), template: String(parts[1]))
            }
        )
    }

    static func table(_ specs: [Spec]) throws -> RouteTable {
        let definitions = specs.enumerated().map { index, spec in
            RouteDefinition(
                method: echo,
                verb: spec.verb,
                pathTemplate: spec.template,
                body: spec.body,
                source: "routes[\(index)]",
                rejectUnknownQueryParameters: spec.strict
            )
        }
        return try RouteTable(definitions: definitions, pool: pool)
    }

    /// The routes query parameters are tested on: `GET /v1/echo`, a `GET` on each template of
    /// `captures` (with path variables), a body field, the whole body, and lenient routes
    /// (`rejectUnknownQueryParameters` off) with and without a body.
    static func queryTable(capturing captures: [String]) -> RouteTable {
        let specs =
            [Spec(verb: "GET", template: "/v1/echo")] + captures.map { Spec(verb: "GET", template: $0) } + [
                Spec(verb: "POST", template: "/v1/body/field", body: "nested"),
                Spec(verb: "POST", template: "/v1/body/all", body: "*"),
                Spec(verb: "GET", template: "/v1/lenient", strict: false),
                Spec(verb: "POST", template: "/v1/lenient/all", body: "*", strict: false),
            ]
        do {
            return try table(specs)
        } catch {
            fatalError("\(error)")
        }
    }

    /// Every binding of every demo method, flattened the way the gateway does.
    static var demoDefinitions: [RouteDefinition] {
        pool.methods.flatMap { method -> [RouteDefinition] in
            guard let rule = method.httpRule else { return [] }
            return ([rule] + rule.additionalBindings).enumerated().map { index, binding in
                RouteDefinition(
                    method: method,
                    verb: binding.verb,
                    pathTemplate: binding.path,
                    body: binding.body,
                    responseBody: binding.responseBody,
                    source: "\(method.fullName) binding \(index)"
                )
            }
        }
    }
}

/// A lookup outcome flattened for comparisons: the route template and `path=value` bindings.
enum Outcome: Equatable, CustomStringConvertible {
    case matched(String, [String])
    case methodNotAllowed([String])
    case notFound

    var description: String {
        switch self {
        case .matched(let template, let bindings): return "matched(\(template), \(bindings))"
        case .methodNotAllowed(let allowed): return "methodNotAllowed(\(allowed))"
        case .notFound: return "notFound"
        }
    }
}

extension RouteTable {
    /// Looks up and flattens the outcome; the template is the matched route's as written.
    func outcome(_ method: String, _ path: String, query: String? = nil) throws -> Outcome {
        switch try lookup(method: method, path: path[...], query: query?[...]) {
        case .matched(let match):
            return .matched(match.route.pathTemplate, match.bindings.map { "\($0.dottedPath)=\($0.value)" })
        case .methodNotAllowed(let allowed):
            return .methodNotAllowed(allowed)
        case .notFound:
            return .notFound
        }
    }

    /// The template of the route matching a GET, or nil.
    func template(_ path: String, method: String = "GET") throws -> String? {
        if case .matched(let template, _) = try outcome(method, path) { return template }
        return nil
    }
}
