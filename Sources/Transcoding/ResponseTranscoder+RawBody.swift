public import NIOCore
public import ProtoSchema

extension ResponseTranscoder {
    /// Extracts the raw bytes of a response without JSON: the value of a `bytes` field (for
    /// `response_body: "content"`), of a `google.api.HttpBody` field, or of the message itself
    /// when it is an `HttpBody`.
    ///
    /// Protobuf semantics apply: the last occurrence of a `bytes` field wins, occurrences of a
    /// message field merge (so the last `content_type` and the last `data` win), occurrences with
    /// an unexpected wire type are skipped as unknown, an absent field yields empty data.
    /// - Parameters:
    ///   - protobuf: the encoded message; its readable bytes are read, not consumed.
    ///   - field: a singular `bytes` or `google.api.HttpBody` field of `type`, or nil when `type`
    ///     is `google.api.HttpBody`.
    ///   - type: the message type.
    /// - Returns: the content type (`HttpBody.content_type`; nil when it is empty and always for
    ///   a `bytes` field) and the data as a slice of `protobuf` (empty when absent).
    /// - Throws: ``TranscodingError`` `malformedProtobuf` for bad wire bytes (or a non-UTF-8
    ///   content type), `unsupported` for a field of another kind.
    public func rawBody(
        protobuf: ByteBuffer,
        field: FieldDescriptor?,
        of type: MessageID
    ) throws(TranscodingError) -> (contentType: String?, data: ByteBuffer) {
        let kind: RawKind
        if let field {
            guard !field.isRepeated else { throw unsupportedRaw(field.name) }
            switch field.type {
            case .bytes: kind = .bytesField(field.number)
            case .message(let inner) where RawBody.isHttpBody(inner, in: pool): kind = .httpBodyField(field.number)
            default: throw unsupportedRaw(field.name)
            }
        } else {
            guard RawBody.isHttpBody(type, in: pool) else {
                throw TranscodingError(
                    code: .unsupported,
                    message: "'\(pool[type].fullName)' is not google.api.HttpBody; name a raw field"
                )
            }
            kind = .httpBody
        }

        let found = protobuf.withUnsafeReadableBytes { bytes -> Result<RawRanges, TranscodingError> in
            do throws(TranscodingError) {
                return .success(try RawRanges.find(kind, in: bytes))
            } catch {
                return .failure(error)
            }
        }
        let ranges = try found.get()

        var contentType: String?
        if let range = ranges.contentType {
            guard
                let text = protobuf.viewBytes(at: protobuf.readerIndex + range.lowerBound, length: range.count)
                    .flatMap({ String(validating: $0, as: UTF8.self) })
            else {
                throw TranscodingError(code: .malformedProtobuf, message: "HttpBody.content_type is not valid UTF-8")
            }
            contentType = text.isEmpty ? nil : text
        }
        let data =
            ranges.data.map { protobuf.getSlice(at: protobuf.readerIndex + $0.lowerBound, length: $0.count)! }
            ?? ByteBuffer()
        return (contentType, data)
    }

    private func unsupportedRaw(_ name: String) -> TranscodingError {
        TranscodingError(
            code: .unsupported,
            message: "raw bodies need a singular bytes or google.api.HttpBody field, not '\(name)'"
        )
    }
}

/// What ``ResponseTranscoder/rawBody(protobuf:field:of:)`` looks for.
private enum RawKind: Equatable {
    case bytesField(Int32)
    case httpBodyField(Int32)
    case httpBody
}

/// The winning ranges of `content_type` and `data` in the pinned bytes.
private struct RawRanges {
    var contentType: Range<Int>?
    var data: Range<Int>?

    static func find(_ kind: RawKind, in bytes: UnsafeRawBufferPointer) throws(TranscodingError) -> RawRanges {
        var ranges = RawRanges()
        switch kind {
        case .bytesField(let number):
            ranges.data = try lastOccurrence(of: number, in: bytes, range: 0..<bytes.count)
        case .httpBody:
            try ranges.merge(httpBody: 0..<bytes.count, in: bytes)
        case .httpBodyField(let number):
            var scanner = WireScanner(bytes, range: 0..<bytes.count)
            while !scanner.isAtEnd {
                let (fieldNumber, wireType) = try scanner.readTag()
                let range = try scanner.skipValue(wireType, number: fieldNumber)
                if fieldNumber == number && wireType == .lengthDelimited {
                    try ranges.merge(httpBody: range, in: bytes)
                }
            }
        }
        return ranges
    }

    /// Merges one encoded `HttpBody`: its last `content_type` and last `data` replace earlier ones.
    mutating func merge(httpBody range: Range<Int>, in bytes: UnsafeRawBufferPointer) throws(TranscodingError) {
        var scanner = WireScanner(bytes, range: range)
        while !scanner.isAtEnd {
            let (number, wireType) = try scanner.readTag()
            let value = try scanner.skipValue(wireType, number: number)
            guard wireType == .lengthDelimited else { continue }
            if number == RawBody.contentTypeNumber {
                contentType = value
            } else if number == RawBody.dataNumber {
                data = value
            }
        }
    }

    /// The payload range of the last length-delimited occurrence of field `number`.
    static func lastOccurrence(
        of number: Int32,
        in bytes: UnsafeRawBufferPointer,
        range: Range<Int>
    ) throws(TranscodingError) -> Range<Int>? {
        var last: Range<Int>?
        var scanner = WireScanner(bytes, range: range)
        while !scanner.isAtEnd {
            let (fieldNumber, wireType) = try scanner.readTag()
            let value = try scanner.skipValue(wireType, number: fieldNumber)
            if fieldNumber == number && wireType == .lengthDelimited { last = value }
        }
        return last
    }
}
