public import NIOCore
import ProtoSchema
import Routing
public import Transcoding

/// How one route turns a response message into body bytes: JSON (of the whole message or of its
/// `response_body` field), or the raw bytes of a `bytes`/`google.api.HttpBody` `response_body`
/// or of an output that is itself `google.api.HttpBody`. Part of the route's ``RoutePlan``.
public struct ResponseBodyWriter: Sendable {
    private let output: MessageID
    private let responseBody: FieldDescriptor?
    private let transcoder: ResponseTranscoder
    /// nil: JSON. `.some(nil)`: the output is `HttpBody`. `.some(field)`: a raw field.
    private let rawField: FieldDescriptor??
    /// The raw `Content-Type` when `HttpBody.content_type` does not say: the method's
    /// `rawContentType`, else `streaming.rawContentType` (empty for JSON routes).
    public let defaultRawContentType: String
    /// Whether responses are raw bytes rather than JSON.
    public let isRaw: Bool

    /// The writer for `route`'s responses.
    /// - Parameters:
    ///   - route: The route.
    ///   - transcoder: protobuf → JSON with the method's options.
    ///   - rawContentType: The Content-Type of raw `bytes` responses.
    init(route: Route, transcoder: ResponseTranscoder, rawContentType: String) {
        self.output = route.method.output
        self.responseBody = route.responseBody
        self.transcoder = transcoder
        let pool = transcoder.pool
        if let field = route.responseBody {
            rawField = RawBody.isRawField(field, in: pool) ? .some(field) : nil
        } else {
            rawField = RawBody.isHttpBody(route.method.output, in: pool) ? .some(nil) : nil
        }
        isRaw = rawField != nil
        defaultRawContentType = isRaw ? rawContentType : ""
    }

    /// Writes the JSON of `message` (or of its `response_body` field).
    public func writeJSON(_ message: ByteBuffer, into out: inout ByteBuffer) throws(TranscodingError) {
        if let field = responseBody {
            try transcoder.write(protobuf: message, field: field, of: output, into: &out)
        } else {
            try transcoder.write(protobuf: message, as: output, into: &out)
        }
    }

    /// The raw bytes of `message` and their content type (only when ``isRaw``).
    public func raw(_ message: ByteBuffer) throws(TranscodingError) -> (contentType: String, data: ByteBuffer) {
        let raw = try transcoder.rawBody(protobuf: message, field: rawField ?? nil, of: output)
        return (raw.contentType ?? defaultRawContentType, raw.data)
    }
}
