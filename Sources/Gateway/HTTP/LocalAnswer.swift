import NIOCore

/// What Portico answers itself, without a backend call: an error, or a document it serves on the
/// data listener (the OpenAPI document at `openapi.path`).
enum LocalAnswer {
    /// An error, as a `google.rpc.Status` JSON body with the HTTP status of its code.
    case error(GatewayError)
    /// 200 with this content type and body (no body for `HEAD`).
    case document(contentType: String, body: ByteBuffer)
}
