import NIOCore
import NIOHTTP1

/// One request to the admin listener, read whole (admin bodies are small).
struct AdminRequest: Sendable {
    /// The HTTP method.
    var method: HTTPMethod
    /// The path, without the query string.
    var path: Substring
    /// The body.
    var body: ByteBuffer
}

/// One answer of the admin listener: a status, a content type, a body and extra headers.
struct AdminResponse: Sendable {
    /// The status.
    var status: HTTPResponseStatus
    /// The body's content type.
    var contentType: String
    /// The body.
    var body: ByteBuffer
    /// Headers beyond `Content-Type` and `Content-Length` (`Allow` on a 405).
    var headers: [(String, String)] = []

    /// A JSON answer.
    static func json(_ status: HTTPResponseStatus, _ value: AdminJSON) -> AdminResponse {
        var body = ByteBuffer()
        value.write(into: &body)
        body.writeStaticString("\n")
        return AdminResponse(status: status, contentType: "application/json", body: body)
    }

    /// `404` for a path the admin listener does not serve.
    static func notFound(_ path: Substring) -> AdminResponse {
        .json(
            .notFound,
            .object([
                ("error", .string("no admin endpoint \(path)")),
                ("endpoints", .strings(AdminEndpoints.table.map(\.path))),
            ])
        )
    }

    /// `405` with `Allow` for a method the endpoint does not take.
    static func methodNotAllowed(_ method: HTTPMethod, path: Substring, allowed: HTTPMethod) -> AdminResponse {
        var response = AdminResponse.json(
            .methodNotAllowed,
            .object([("error", .string("\(path) takes \(allowed.rawValue), not \(method.rawValue)"))])
        )
        response.headers.append(("Allow", allowed.rawValue))
        return response
    }

    /// The response head for `request`.
    func head(for request: HTTPRequestHead, keepAlive: Bool) -> HTTPResponseHead {
        var fields = HTTPHeaders()
        fields.add(name: "Content-Type", value: contentType)
        fields.add(name: "Content-Length", value: String(body.readableBytes))
        fields.add(name: "Cache-Control", value: "no-store")
        for (name, value) in headers { fields.add(name: name, value: value) }
        if !keepAlive { fields.add(name: "Connection", value: "close") }
        return HTTPResponseHead(version: request.version, status: status, headers: fields)
    }
}
