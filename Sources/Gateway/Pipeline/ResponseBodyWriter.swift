import NIOCore
import ProtoSchema
import Routing
import Transcoding

/// How one route turns a response message into body bytes: JSON (of the whole message or of its
/// `response_body` field), or the raw bytes of a `bytes`/`google.api.HttpBody` `response_body`
/// or of an output that is itself `google.api.HttpBody`.
struct ResponseBodyWriter {
    private let route: Route
    private let transcoder: ResponseTranscoder
    /// nil: JSON. `.some(nil)`: the output is `HttpBody`. `.some(field)`: a raw field.
    private let rawField: FieldDescriptor??
    /// The raw `Content-Type` when `HttpBody.content_type` does not say: the method's
    /// `rawContentType`, else `streaming.rawContentType` (empty for JSON routes).
    let defaultRawContentType: String

    /// The writer for `route`'s responses.
    init(route: Route, snapshot: GatewaySnapshot) {
        self.route = route
        self.transcoder = snapshot.responseTranscoder(for: route)
        let pool = snapshot.pool
        if let field = route.responseBody {
            rawField = RawBody.isRawField(field, in: pool) ? .some(field) : nil
        } else {
            rawField = RawBody.isHttpBody(route.method.output, in: pool) ? .some(nil) : nil
        }
        // Only raw routes need it; JSON routes skip the per-method lookup on every request.
        defaultRawContentType = rawField == nil ? "" : snapshot.rawContentType(for: route)
    }

    /// Whether responses are raw bytes rather than JSON.
    var isRaw: Bool { rawField != nil }

    /// Writes the JSON of `message` (or of its `response_body` field).
    func writeJSON(_ message: ByteBuffer, into out: inout ByteBuffer) throws(TranscodingError) {
        if let field = route.responseBody {
            try transcoder.write(protobuf: message, field: field, of: route.method.output, into: &out)
        } else {
            try transcoder.write(protobuf: message, as: route.method.output, into: &out)
        }
    }

    /// The raw bytes of `message` and their content type (only when ``isRaw``).
    func raw(_ message: ByteBuffer) throws(TranscodingError) -> (contentType: String, data: ByteBuffer) {
        let raw = try transcoder.rawBody(protobuf: message, field: rawField ?? nil, of: route.method.output)
        return (raw.contentType ?? defaultRawContentType, raw.data)
    }
}
