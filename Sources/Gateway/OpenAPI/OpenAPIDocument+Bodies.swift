import ProtoSchema
import Routing

/// Request and response bodies of an operation: JSON, NDJSON for streams (SSE too for
/// responses), raw bytes for `bytes`/`google.api.HttpBody` bodies, and the error answer.
extension OpenAPIDocument {
    /// The content types streamed responses are sent as (NDJSON by default; SSE on request).
    static let streamContentTypes = ["application/x-ndjson", "text/event-stream"]

    /// What the route's `body` selector reads, or nil for a route without a body.
    static func requestBody(of plan: RoutePlan, schemas: inout OpenAPISchemas) -> AdminJSON? {
        let route = plan.route
        let streaming = route.method.isClientStreaming
        let schema: AdminJSON
        switch plan.request.body {
        case .none:
            return nil
        case .rawField, .httpBody:
            return .object([
                ("required", .bool(true)),
                ("content", .object([("*/*", .object([("schema", binary)]))])),
            ])
        case .json(let field):
            schema = field.map { schemas.schema(of: $0) } ?? schemas.message(route.method.input)
        }
        guard streaming else {
            return .object([
                ("required", .bool(true)),
                ("content", .object([("application/json", .object([("schema", schema)]))])),
            ])
        }
        // A stream is a sequence of JSON values (NDJSON or concatenated); one value is a
        // sequence of one, so plain JSON clients can send a single message.
        return .object([
            ("required", .bool(false)),
            ("description", "One JSON value per message, each sent to the backend as it completes."),
            (
                "content",
                .object([
                    ("application/x-ndjson", .object([("schema", schema)])),
                    ("application/json", .object([("schema", schema)])),
                ])
            ),
        ])
    }

    /// The success answer (what `response_body` and streaming make of the output), and the
    /// `google.rpc.Status` error for every other status.
    static func responses(of plan: RoutePlan, schemas: inout OpenAPISchemas) -> AdminJSON {
        let route = plan.route
        let content: [(String, AdminJSON)]
        if plan.response.isRaw {
            let type = plan.response.defaultRawContentType
            let isHttpBody = route.responseBody == nil
            content = [(isHttpBody || type.isEmpty ? "*/*" : type, .object([("schema", binary)]))]
        } else {
            let schema = route.responseBody.map { schemas.schema(of: $0) } ?? schemas.message(route.method.output)
            if route.method.isServerStreaming {
                content = streamContentTypes.map { ($0, .object([("schema", schema)])) }
            } else {
                content = [("application/json", .object([("schema", schema)]))]
            }
        }
        let description =
            route.method.isServerStreaming
            ? "One JSON value per message (NDJSON, or SSE with Accept: text/event-stream); an error after "
                + "the first message ends the stream with {\"error\": Status}."
            : "The response."
        return .object([
            ("200", .object([("description", .string(description)), ("content", .object(content))])),
            ("default", .object([("$ref", "#/components/responses/Error")])),
        ])
    }

    /// Raw bytes.
    static let binary: AdminJSON = .object([("type", "string"), ("format", "binary")])

    /// `components.responses.Error` and `components.schemas["google.rpc.Status"]`: every error
    /// Portico or a backend answers with, its HTTP status mapped from the gRPC code.
    static let errorResponse: AdminJSON = .object([
        (
            "description",
            .string(
                "An error: the gRPC status as JSON. 400 INVALID_ARGUMENT (and bad requests), 401, 403, 404 "
                    + "(also: no route), 405 (with Allow), 409, 413 (body too large), 429, 499, 500, 501, "
                    + "503 (backend unavailable), 504 (deadline exceeded)."
            )
        ),
        (
            "content",
            .object([
                ("application/json", .object([("schema", OpenAPISchemas.reference("google.rpc.Status"))]))
            ])
        ),
    ])

    /// The JSON form of `google.rpc.Status`.
    static let statusSchema: AdminJSON = .object([
        ("type", "object"),
        ("title", "google.rpc.Status"),
        (
            "properties",
            .object([
                (
                    "code",
                    .object([("type", "integer"), ("format", "int32"), ("description", "The gRPC status code.")])
                ),
                ("message", .object([("type", "string")])),
                (
                    "details",
                    .object([
                        ("type", "array"),
                        (
                            "items",
                            .object([
                                ("type", "object"),
                                ("properties", .object([("@type", .object([("type", "string")]))])),
                            ])
                        ),
                    ])
                ),
            ])
        ),
        ("required", .strings(["code", "message"])),
    ])
}
