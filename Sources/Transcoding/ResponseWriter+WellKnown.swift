import NIOCore
import ProtoSchema

/// Well-known types in their special proto3 JSON forms: wire bytes to JSON.
extension ResponseWriter {
    /// Writes a `Timestamp`, `Duration`, `FieldMask`, wrapper, `Struct`, `Value`, `ListValue`
    /// or `Any` from its wire bytes.
    func writeWellKnown(
        _ kind: WellKnownType,
        _ descriptor: MessageDescriptor,
        segments: some Sequence<Range<Int>>,
        into out: inout ByteBuffer
    ) throws(TranscodingError) {
        let fields = WellKnownFields(descriptor: descriptor, occurrences: try scan(descriptor, segments))
        switch kind {
        case .timestamp:
            let (seconds, nanos) = try fields.secondsAndNanos(in: bytes)
            guard let text = WellKnownText.timestamp(seconds: seconds, nanos: nanos) else {
                throw .invalid("Timestamp \(seconds)s \(nanos)ns is outside 0001-01-01..9999-12-31")
            }
            JSONWriter.writeString(text, into: &out)
        case .duration:
            let (seconds, nanos) = try fields.secondsAndNanos(in: bytes)
            guard let text = WellKnownText.duration(seconds: seconds, nanos: nanos) else {
                throw .invalid("Duration \(seconds)s \(nanos)ns is out of range or mixes signs")
            }
            JSONWriter.writeString(text, into: &out)
        case .fieldMask:
            var paths: [String] = []
            for occurrence in fields.all(1) {
                guard
                    let path = String(
                        validating: UnsafeRawBufferPointer(rebasing: bytes[occurrence.range]),
                        as: UTF8.self
                    )
                else {
                    throw .malformed("string field holds invalid UTF-8")
                }
                guard let jsonPath = WellKnownText.jsonPath(path) else {
                    throw .invalid("FieldMask path \"\(path)\" has no lowerCamelCase form")
                }
                paths.append(jsonPath)
            }
            JSONWriter.writeString(paths.joined(separator: ","), into: &out)
        case .wrapper:
            guard let field = descriptor.field(number: 1) else { throw .malformed("malformed wrapper type") }
            if let last = fields.all(1).last {
                try writeScalar(field.type, last.range, strictUTF8: field.validatesUTF8, into: &out)
            } else {
                writeDefault(field.type, into: &out)
            }
        case .structValue, .listValue:
            guard let field = descriptor.field(number: 1) else { throw .malformed("malformed \(descriptor.fullName)") }
            try nested().writeValue(field, fields.all(1), into: &out)
        case .value:
            try writeValueKind(descriptor, fields, into: &out)
        case .any:
            try writeAny(fields, into: &out)
        case .empty:
            out.writeStaticString("{}")
        }
    }

    /// `google.protobuf.Value`: the member of its `kind` oneof that came last on the wire.
    private func writeValueKind(
        _ descriptor: MessageDescriptor,
        _ fields: WellKnownFields,
        into out: inout ByteBuffer
    )
        throws(TranscodingError)
    {
        guard let last = fields.occurrences.max(by: { $0.range.lowerBound < $1.range.lowerBound }) else {
            throw .malformed("google.protobuf.Value has no kind set")
        }
        let field = descriptor.fields[last.fieldIndex]
        switch field.number {
        case 1:
            JSONWriter.writeNull(into: &out)
        case 2:
            var scanner = WireScanner(bytes, range: last.range)
            let number = Double(bitPattern: try scanner.readFixed64())
            guard number.isFinite else { throw .invalid("google.protobuf.Value cannot hold \(number)") }
            JSONWriter.writeNumber(number, into: &out)
        case 5, 6:
            guard case .message(let id) = field.type else { throw .malformed("malformed google.protobuf.Value") }
            let all = fields.all(field.number)
            try nested().writeMessage(id, segments: all.lazy.map(\.range), into: &out)
        default:
            try writeScalar(field.type, last.range, strictUTF8: field.validatesUTF8, into: &out)
        }
    }

    /// `google.protobuf.Any`: `{"@type": url, <fields>}`, or `{"@type": url, "value": <json>}`
    /// when the packed type has a special form itself (Empty has none: `{"@type": url}`).
    private func writeAny(_ fields: WellKnownFields, into out: inout ByteBuffer) throws(TranscodingError) {
        let url = fields.all(1).last.map {
            String(decoding: UnsafeRawBufferPointer(rebasing: bytes[$0.range]), as: UTF8.self)
        }
        let value = fields.all(2).last?.range ?? 0..<0
        guard let url, !url.isEmpty else {
            guard value.isEmpty else { throw .malformed("google.protobuf.Any has a value but no type URL") }
            out.writeStaticString("{}")
            return
        }
        let name = url.split(separator: "/").last.map(String.init) ?? url
        guard let id = pool.messageID(named: name) else {
            throw TranscodingError(
                code: .unsupported,
                message: "google.protobuf.Any holds \(name), which is not in the descriptor sets"
            )
        }
        out.writeStaticString("{\"@type\":")
        JSONWriter.writeString(url, into: &out)
        let inner = try nested()
        if let kind = pool[id].wellKnownType, kind != .empty {
            out.writeStaticString(",\"value\":")
            try inner.writeMessage(id, segments: CollectionOfOne(value), into: &out)
        } else {
            var first = false
            try inner.writeFields(pool[id], segments: CollectionOfOne(value), first: &first, into: &out)
        }
        out.writeInteger(UInt8(ascii: "}"))
    }
}

/// The scanned fields of a well-known message, by field number.
private struct WellKnownFields {
    let descriptor: MessageDescriptor
    let occurrences: [Occurrence]

    /// Every occurrence of field `number`, in wire order.
    func all(_ number: Int32) -> ArraySlice<Occurrence> {
        guard let index = descriptor.fieldIndex(number: number) else { return [] }
        return occurrences.filter { $0.fieldIndex == index }[...]
    }

    /// `seconds` (field 1) and `nanos` (field 2) of a Timestamp or Duration.
    func secondsAndNanos(in bytes: UnsafeRawBufferPointer) throws(TranscodingError) -> (Int64, Int32) {
        (Int64(bitPattern: try varint(1, in: bytes)), Int32(truncatingIfNeeded: try varint(2, in: bytes)))
    }

    /// The last value of varint field `number` (0 when absent).
    func varint(_ number: Int32, in bytes: UnsafeRawBufferPointer) throws(TranscodingError) -> UInt64 {
        guard let last = all(number).last else { return 0 }
        var scanner = WireScanner(bytes, range: last.range)
        return try scanner.readVarint()
    }
}
