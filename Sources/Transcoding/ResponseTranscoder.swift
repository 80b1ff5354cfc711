public import NIOCore
public import ProtoSchema

/// Turns protobuf wire bytes into proto3 JSON, walking the message descriptors of a
/// ``DescriptorPool``.
///
/// Fields are written in declaration order; repeated fields may arrive packed or unpacked,
/// repeated occurrences of a singular message merge, the last occurrence of a scalar wins, and
/// unknown fields are skipped, as a protobuf parser would.
///
/// ```swift
/// let transcoder = ResponseTranscoder(pool: pool, options: JSONCodecOptions())
/// var body = ByteBuffer()
/// try transcoder.write(protobuf: reply, as: method.output, into: &body)
/// ```
///
/// Cheap to create: it holds the pool and the options. On error, `out` may hold partial output.
public struct ResponseTranscoder: Sendable {
    /// The schema.
    public let pool: DescriptorPool
    /// The mapping options.
    public let options: JSONCodecOptions

    /// Creates a transcoder.
    public init(pool: DescriptorPool, options: JSONCodecOptions) {
        self.pool = pool
        self.options = options
    }

    /// Writes one message as a JSON object.
    /// - Parameters:
    ///   - protobuf: the encoded message; its readable bytes are read, not consumed.
    ///   - type: the message type.
    ///   - out: receives the JSON object.
    /// - Throws: ``TranscodingError`` (`malformedProtobuf`) with the path of the bad field.
    public func write(protobuf: ByteBuffer, as type: MessageID, into out: inout ByteBuffer) throws(TranscodingError) {
        let result = protobuf.withUnsafeReadableBytes { bytes -> Result<Void, TranscodingError> in
            let writer = ResponseWriter(bytes: bytes, pool: pool, options: options)
            do throws(TranscodingError) {
                try writer.writeMessage(type, segments: CollectionOfOne(0..<bytes.count), into: &out)
                return .success(())
            } catch {
                return .failure(error)
            }
        }
        try result.get()
    }

    /// Writes only the JSON value of one top-level field (for HttpRule `response_body`).
    ///
    /// An absent field is written in its default form: `0`, `""`, `false`, the zero enum name,
    /// `[]` for repeated fields, `{}` for maps and `null` for messages.
    /// - Parameters:
    ///   - protobuf: the encoded message; its readable bytes are read, not consumed.
    ///   - field: a field of `type`.
    ///   - type: the message type.
    ///   - out: receives the JSON value.
    /// - Throws: ``TranscodingError`` (`malformedProtobuf`) with the path of the bad field.
    public func write(
        protobuf: ByteBuffer,
        field: FieldDescriptor,
        of type: MessageID,
        into out: inout ByteBuffer
    ) throws(TranscodingError) {
        let result = protobuf.withUnsafeReadableBytes { bytes -> Result<Void, TranscodingError> in
            let writer = ResponseWriter(bytes: bytes, pool: pool, options: options)
            do throws(TranscodingError) {
                try writer.writeField(field, of: type, segments: CollectionOfOne(0..<bytes.count), into: &out)
                return .success(())
            } catch {
                return .failure(error)
            }
        }
        try result.get()
    }
}
