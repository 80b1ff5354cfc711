import NIOCore
import ProtoSchema
import TextCoding

/// Scalar values: wire bytes to proto3 JSON text.
extension ResponseWriter {
    /// Writes one scalar whose encoded value (varint bytes, fixed bytes or length-delimited
    /// payload) is `range`.
    ///
    /// Invalid UTF-8 in a string is `malformedProtobuf` when the field validates UTF-8
    /// (`strictUTF8`, ``ProtoSchema/FieldDescriptor/validatesUTF8``: the wire bytes are invalid),
    /// and `invalidValue` when it does not (valid bytes that JSON cannot carry).
    func writeScalar(
        _ type: FieldType,
        _ range: Range<Int>,
        strictUTF8: Bool,
        into out: inout ByteBuffer
    ) throws(TranscodingError) {
        var scanner = WireScanner(bytes, range: range)
        switch type {
        case .int32: JSONWriter.writeNumber(Int64(Int32(truncatingIfNeeded: try scanner.readVarint())), into: &out)
        case .uint32: JSONWriter.writeNumber(UInt64(UInt32(truncatingIfNeeded: try scanner.readVarint())), into: &out)
        case .sint32: JSONWriter.writeNumber(Int64(ZigZag.decode32(try scanner.readVarint())), into: &out)
        case .fixed32: JSONWriter.writeNumber(UInt64(try scanner.readFixed32()), into: &out)
        case .sfixed32: JSONWriter.writeNumber(Int64(Int32(bitPattern: try scanner.readFixed32())), into: &out)
        case .int64: writeQuoted(Int64(bitPattern: try scanner.readVarint()), into: &out)
        case .uint64: writeQuoted(try scanner.readVarint(), into: &out)
        case .sint64: writeQuoted(ZigZag.decode64(try scanner.readVarint()), into: &out)
        case .fixed64: writeQuoted(try scanner.readFixed64(), into: &out)
        case .sfixed64: writeQuoted(Int64(bitPattern: try scanner.readFixed64()), into: &out)
        case .bool: JSONWriter.writeBool(try scanner.readVarint() != 0, into: &out)
        case .float: JSONWriter.writeNumber(Float(bitPattern: try scanner.readFixed32()), into: &out)
        case .double: JSONWriter.writeNumber(Double(bitPattern: try scanner.readFixed64()), into: &out)
        case .enumeration(let id): writeEnum(Int32(truncatingIfNeeded: try scanner.readVarint()), id, into: &out)
        case .string:
            let text = UnsafeRawBufferPointer(rebasing: bytes[range])
            guard JSONWriter.writeString(utf8: text, into: &out, validate: true) else {
                if strictUTF8 { throw .malformed("string field holds invalid UTF-8") }
                throw .invalid("string field holds bytes that are not UTF-8, which JSON cannot carry")
            }
        case .bytes:
            out.writeInteger(UInt8(ascii: "\""))
            Base64.encode(UnsafeRawBufferPointer(rebasing: bytes[range]), into: &out)
            out.writeInteger(UInt8(ascii: "\""))
        case .message(let id), .group(let id):
            try writeMessage(id, segments: CollectionOfOne(range), into: &out)
        }
    }

    /// Writes the default value of a type (absent field, missing map value).
    func writeDefault(_ type: FieldType, into out: inout ByteBuffer) {
        switch type {
        case .int64, .uint64, .sint64, .fixed64, .sfixed64:
            out.writeStaticString(options.int64AsNumbers ? "0" : "\"0\"")
        case .int32, .uint32, .sint32, .fixed32, .sfixed32, .float, .double: out.writeStaticString("0")
        case .bool: out.writeStaticString("false")
        case .string, .bytes: out.writeStaticString("\"\"")
        case .enumeration(let id): writeEnum(0, id, into: &out)
        case .message, .group: JSONWriter.writeNull(into: &out)
        }
    }

    /// Writes an enum value by name (number when unknown or with `enumsAsInts`);
    /// `google.protobuf.NullValue` is `null`.
    func writeEnum(_ number: Int32, _ id: EnumID, into out: inout ByteBuffer) {
        let descriptor = pool[id]
        if descriptor.fullName == nullValueName {
            JSONWriter.writeNull(into: &out)
        } else if !options.enumsAsInts, let name = descriptor.name(number: number) {
            JSONWriter.writeString(name, into: &out)
        } else {
            JSONWriter.writeNumber(Int64(number), into: &out)
        }
    }

    /// A 64-bit integer: a JSON string unless ``JSONCodecOptions/int64AsNumbers``.
    private func writeQuoted(_ value: Int64, into out: inout ByteBuffer) {
        if !options.int64AsNumbers { out.writeInteger(UInt8(ascii: "\"")) }
        JSONWriter.writeNumber(value, into: &out)
        if !options.int64AsNumbers { out.writeInteger(UInt8(ascii: "\"")) }
    }

    private func writeQuoted(_ value: UInt64, into out: inout ByteBuffer) {
        if !options.int64AsNumbers { out.writeInteger(UInt8(ascii: "\"")) }
        JSONWriter.writeNumber(value, into: &out)
        if !options.int64AsNumbers { out.writeInteger(UInt8(ascii: "\"")) }
    }
}
