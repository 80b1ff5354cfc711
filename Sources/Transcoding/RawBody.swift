public import ProtoSchema

/// Raw-bytes bodies: `google.api.HttpBody` messages, and `body`/`response_body` selectors that
/// name a `bytes` field, carry the HTTP body as is instead of JSON.
///
/// ```swift
/// if let field = rule.bodyField, RawBody.isRawField(field, in: pool) {
///     try transcoder.encodeRawBytes(chunk, contentType: contentType, asField: field, into: &message)
/// }
/// ```
public enum RawBody {
    /// The full name of the message type whose fields are the HTTP body and its content type.
    public static let httpBodyTypeName = "google.api.HttpBody"

    /// `google.api.HttpBody.content_type` (string).
    static let contentTypeNumber: Int32 = 1
    /// `google.api.HttpBody.data` (bytes).
    static let dataNumber: Int32 = 2

    /// Whether `type` is `google.api.HttpBody`.
    public static func isHttpBody(_ type: MessageID, in pool: DescriptorPool) -> Bool {
        pool[type].fullName == httpBodyTypeName
    }

    /// Whether `field` carries raw bytes when it is the target of `body` or `response_body`: a
    /// singular `bytes` field or a singular `google.api.HttpBody` field.
    public static func isRawField(_ field: FieldDescriptor, in pool: DescriptorPool) -> Bool {
        guard !field.isRepeated else { return false }
        switch field.type {
        case .bytes: return true
        case .message(let type): return isHttpBody(type, in: pool)
        default: return false
        }
    }
}
