import NIOCore
import ProtoSchema

/// Map fields: repeated entry messages become one JSON object with string keys.
extension ResponseWriter {
    private struct Entry {
        var key: Range<Int>?
        var value: Range<Int>?
    }

    /// Writes a map from its entry occurrences. A key repeated on the wire keeps its last entry,
    /// as a protobuf parser would; an entry whose value is a closed enum's undeclared number is
    /// not written (a parser keeps it among the unknown fields).
    func writeMap(
        _ entryType: MessageID,
        _ found: ArraySlice<Occurrence>,
        into out: inout ByteBuffer
    )
        throws(TranscodingError)
    {
        let entryDescriptor = pool[entryType]
        guard let keyField = entryDescriptor.field(number: 1), let valueField = entryDescriptor.field(number: 2) else {
            throw .malformed("malformed map entry type \(entryDescriptor.fullName)")
        }
        var entries: [Entry] = []
        entries.reserveCapacity(found.count)
        for occurrence in found {
            var entry = Entry()
            var scanner = WireScanner(bytes, range: occurrence.range)
            while !scanner.isAtEnd {
                let (number, wireType) = try scanner.readTag()
                let range = try scanner.skipValue(wireType, number: number)
                if number == 1 && wireType == keyField.type.wireType {
                    entry.key = range
                } else if number == 2 && wireType == valueField.type.wireType {
                    entry.value = range
                }
            }
            // An undeclared closed-enum value sends the whole entry to the unknown fields.
            if let value = entry.value, isUndeclaredClosedEnumNumber(valueField.type, value) { continue }
            entries.append(entry)
        }
        var lastIndexByKey: [MapKey: Int] = [:]
        if entries.count > 1 {
            for (i, entry) in entries.enumerated() {
                lastIndexByKey[try mapKey(entry.key, keyField.type)] = i
            }
        }
        out.writeInteger(UInt8(ascii: "{"))
        var first = true
        for (i, entry) in entries.enumerated() {
            if entries.count > 1, lastIndexByKey[try mapKey(entry.key, keyField.type)] != i { continue }
            if !first { out.writeInteger(UInt8(ascii: ",")) }
            first = false
            let keyStart = out.writerIndex
            try writeKey(entry.key, keyField.type, strictUTF8: keyField.validatesUTF8, into: &out)
            out.writeInteger(UInt8(ascii: ":"))
            let component = PathComponent.mapKey(
                out.getString(at: keyStart + 1, length: out.writerIndex - keyStart - 3) ?? ""
            )
            try withPath(component) { () throws(TranscodingError) in
                if let value = entry.value {
                    try writeScalar(valueField.type, value, strictUTF8: valueField.validatesUTF8, into: &out)
                } else if case .message(let id) = valueField.type {
                    try writeMessage(id, segments: EmptyCollection(), into: &out)
                } else {
                    writeDefault(valueField.type, into: &out)
                }
            }
        }
        out.writeInteger(UInt8(ascii: "}"))
    }

    /// Writes a map key as a JSON string (numbers and booleans in their text form).
    private func writeKey(
        _ range: Range<Int>?,
        _ type: FieldType,
        strictUTF8: Bool,
        into out: inout ByteBuffer
    ) throws(TranscodingError) {
        guard let range else {
            switch type {
            case .string: out.writeStaticString("\"\"")
            case .bool: out.writeStaticString("\"false\"")
            default: out.writeStaticString("\"0\"")
            }
            return
        }
        switch type {
        case .string:
            try writeScalar(type, range, strictUTF8: strictUTF8, into: &out)
        case .int64, .uint64, .sint64, .fixed64, .sfixed64:
            // Quoted already unless int64AsNumbers; keys are strings either way.
            if options.int64AsNumbers { out.writeInteger(UInt8(ascii: "\"")) }
            try writeScalar(type, range, strictUTF8: strictUTF8, into: &out)
            if options.int64AsNumbers { out.writeInteger(UInt8(ascii: "\"")) }
        default:
            out.writeInteger(UInt8(ascii: "\""))
            try writeScalar(type, range, strictUTF8: strictUTF8, into: &out)
            out.writeInteger(UInt8(ascii: "\""))
        }
    }

    /// A key's identity for duplicate detection: its value, not its encoding.
    private func mapKey(_ range: Range<Int>?, _ type: FieldType) throws(TranscodingError) -> MapKey {
        guard let range else {
            return type == .string ? .text(RawBytes(UnsafeRawBufferPointer(start: nil, count: 0))) : .number(0)
        }
        var scanner = WireScanner(bytes, range: range)
        switch type {
        case .string: return .text(RawBytes(UnsafeRawBufferPointer(rebasing: bytes[range])))
        case .fixed32, .sfixed32: return .number(UInt64(try scanner.readFixed32()))
        case .fixed64, .sfixed64: return .number(try scanner.readFixed64())
        case .bool: return .number(try scanner.readVarint() == 0 ? 0 : 1)
        case .int32, .uint32, .sint32: return .number(UInt64(UInt32(truncatingIfNeeded: try scanner.readVarint())))
        default: return .number(try scanner.readVarint())
        }
    }
}

/// A map key's value, for finding keys repeated on the wire.
private enum MapKey: Hashable {
    case number(UInt64)
    case text(RawBytes)
}

/// Borrowed bytes compared and hashed by content.
private struct RawBytes: Hashable {
    let bytes: UnsafeRawBufferPointer

    init(_ bytes: UnsafeRawBufferPointer) { self.bytes = bytes }

    static func == (lhs: RawBytes, rhs: RawBytes) -> Bool {
        lhs.bytes.count == rhs.bytes.count && lhs.bytes.elementsEqual(rhs.bytes)
    }

    func hash(into hasher: inout Hasher) {
        hasher.combine(bytes: bytes)
    }
}
