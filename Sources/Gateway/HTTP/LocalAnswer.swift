import NIOCore

/// What Portico answers itself, without a backend call: an error, a document it serves on the
/// data listener (the OpenAPI document at `openapi.path`), or a CORS preflight's `204`.
enum LocalAnswer {
    /// An error, as a `google.rpc.Status` JSON body with the HTTP status of its code.
    case error(GatewayError)
    /// 200 with this content type and body (no body for `HEAD`).
    case document(contentType: String, body: ByteBuffer)
    /// 204 with these header fields and no body (a CORS preflight's answer).
    case noContent(fields: [(name: String, value: String)])
}
