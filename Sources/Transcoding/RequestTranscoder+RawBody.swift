public import NIOCore
public import ProtoSchema

extension RequestTranscoder {
    /// Appends `data` as the value of a raw field: the bytes of an upload chunk as
    /// `UpFileRequest.content`, say.
    ///
    /// A `bytes` field is written as tag, length and the bytes; a `google.api.HttpBody` field as
    /// a nested `HttpBody{content_type, data}`. Empty values of fields without presence are
    /// omitted, as a protobuf serializer would.
    /// - Parameters:
    ///   - data: the raw bytes; its readable bytes are copied, not consumed.
    ///   - contentType: the `HttpBody.content_type` (the request's `Content-Type`); ignored for a
    ///     `bytes` field.
    ///   - field: a singular `bytes` or `google.api.HttpBody` field of the request message.
    ///   - out: receives the encoded field.
    /// - Throws: ``TranscodingError`` `unsupported` when `field` is of another kind.
    public func encodeRawBytes(
        _ data: ByteBuffer,
        contentType: String? = nil,
        asField field: FieldDescriptor,
        into out: inout ByteBuffer
    ) throws(TranscodingError) {
        guard !field.isRepeated else {
            throw TranscodingError(
                code: .unsupported,
                message: "raw bytes need a singular bytes or google.api.HttpBody field, not repeated '\(field.name)'"
            )
        }
        switch field.type {
        case .bytes:
            if data.readableBytes == 0 && !field.hasPresence { return }
            out.writeTag(field.number, .lengthDelimited)
            out.writeVarint(UInt64(data.readableBytes))
            out.writeImmutableBuffer(data)
        case .message(let type) where RawBody.isHttpBody(type, in: pool):
            out.writeTag(field.number, .lengthDelimited)
            out.writeDelimited { (body: inout ByteBuffer) in
                encodeHttpBody(contentType: contentType, data: data, into: &body)
            }
        default:
            throw TranscodingError(
                code: .unsupported,
                message: "raw bytes need a bytes or google.api.HttpBody field, not '\(field.name)'"
            )
        }
    }

    /// Appends the fields of a whole `google.api.HttpBody` message — for a request message that
    /// is itself an `HttpBody`.
    /// - Parameters:
    ///   - contentType: `content_type` (field 1); nil or empty writes nothing.
    ///   - data: `data` (field 2); its readable bytes are copied, not consumed; empty writes
    ///     nothing.
    ///   - out: receives the encoded message (no length prefix).
    public func encodeHttpBody(contentType: String?, data: ByteBuffer, into out: inout ByteBuffer) {
        if let contentType, !contentType.isEmpty {
            out.writeTag(RawBody.contentTypeNumber, .lengthDelimited)
            out.writeVarint(UInt64(contentType.utf8.count))
            out.writeString(contentType)
        }
        if data.readableBytes > 0 {
            out.writeTag(RawBody.dataNumber, .lengthDelimited)
            out.writeVarint(UInt64(data.readableBytes))
            out.writeImmutableBuffer(data)
        }
    }
}
