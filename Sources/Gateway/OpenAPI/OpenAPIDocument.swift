import NIOCore
import ProtoSchema
import Routing

/// The OpenAPI 3.1 document of a snapshot, made from its live route table and descriptors
/// (`GET /openapi.json` on the admin listener, `portico openapi`): one operation per binding,
/// additional bindings included, with the proto3 JSON schema of every message it uses.
///
/// A route whose verb OpenAPI cannot express (the custom `*`) is left out, as is a second route
/// on the same OpenAPI path and verb (path templates that differ only inside a variable).
public enum OpenAPIDocument {
    /// The document as a JSON value.
    public static func json(of snapshot: GatewaySnapshot) -> AdminJSON {
        var schemas = OpenAPISchemas(pool: snapshot.pool, options: SnapshotBuilder.codecOptions(snapshot.config.json))
        var paths: [(path: String, operations: [(String, AdminJSON)])] = []
        var bindings: [String: Int] = [:]
        for plan in snapshot.plans {
            let verb = plan.route.verb.lowercased()
            guard ["get", "put", "post", "delete", "patch", "head", "options"].contains(verb) else { continue }
            let path = path(of: plan.route.template).path
            let index =
                paths.firstIndex { $0.path == path }
                ?? {
                    paths.append((path, []))
                    return paths.count - 1
                }()
            guard !paths[index].operations.contains(where: { $0.0 == verb }) else { continue }
            let name = plan.route.method.fullName
            let count = bindings[name, default: 0] + 1
            bindings[name] = count
            let operationId = count == 1 ? name : "\(name)_\(count)"
            paths[index].operations.append((verb, operation(plan, operationId: operationId, schemas: &schemas)))
        }
        let security = securitySchemes(snapshot.config.auth)
        var components: [(String, AdminJSON)] = [("google.rpc.Status", statusSchema)]
        var written = 0
        while written < schemas.referenced.count {
            let id = schemas.referenced[written]
            written += 1
            let name = snapshot.pool[id].fullName
            guard name != "google.rpc.Status" else { continue }
            components.append((name, schemas.objectSchema(of: id)))
        }
        return .object([
            ("openapi", "3.1.0"),
            (
                "info",
                .object([
                    ("title", "Portico"),
                    ("version", .string(PorticoVersion.current)),
                    (
                        "description",
                        "REST/JSON routes of the gRPC services behind this Portico, from its route table and descriptors."
                    ),
                ])
            ),
            ("tags", .array(tags(snapshot))),
            ("paths", .object(paths.map { ($0.path, .object($0.operations)) })),
            (
                "components",
                .object(
                    [
                        ("schemas", .object(components)),
                        ("responses", .object([("Error", errorResponse)])),
                    ] + (security.isEmpty ? [] : [("securitySchemes", .object(security))])
                )
            ),
        ])
    }

    /// One tag per service that has a route, with the service's comment.
    static func tags(_ snapshot: GatewaySnapshot) -> [AdminJSON] {
        var seen: Set<String> = []
        return snapshot.plans.compactMap { plan in
            let service = plan.route.method.serviceFullName
            guard seen.insert(service).inserted else { return nil }
            var tag: [(String, AdminJSON)] = [("name", .string(service))]
            if let comment = snapshot.pool.documentation.comment(service) {
                tag.append(("description", .string(comment)))
            }
            return .object(tag)
        }
    }

    /// The document as JSON text.
    public static func jsonText(of snapshot: GatewaySnapshot) -> String {
        var buffer = ByteBuffer()
        json(of: snapshot).write(into: &buffer)
        return String(buffer: buffer)
    }
}
