import NIOCore
import ProtoSchema

/// Arrays, maps, well-known types and skipped members on the streaming path, each mirroring its
/// tree-path counterpart (`RequestTranscoder+Message.swift`, `RequestTranscoder+WellKnown.swift`).
extension StreamingJSONEncoder {
    /// A repeated field's array: packed scalars in one length-delimited run, anything else one
    /// tag and value per element.
    mutating func encodeRepeated(
        _ field: FieldDescriptor,
        depth: Int,
        into out: inout WireWriter
    ) throws(StreamingDeclined) {
        guard try scanner.beginArray() else { return }
        if field.isPacked && field.type.isPackable {
            out.writeTag(field.number, .lengthDelimited)
            try out.writeDelimited { (out: inout WireWriter) throws(StreamingDeclined) in
                repeat {
                    let element = try scanner.scalar()
                    if case .null = element { throw StreamingDeclined() }
                    if let scalar = try parse(element, as: field.type) { try write(scalar, into: &out) }
                } while try scanner.next(orClose: UInt8(ascii: "]"))
            }
            return
        }
        repeat {
            if try scanner.null() {
                guard transcoder.isNullable(field.type) else { throw StreamingDeclined() }
                Self.writeNull(field.number, field.type, into: &out)
            } else {
                try encodeSingle(field.number, field.type, depth: depth, into: &out)
            }
        } while try scanner.next(orClose: UInt8(ascii: "]"))
    }

    /// A map field's object: one entry message per member.
    mutating func encodeMap(
        _ field: FieldDescriptor,
        _ entry: MessageID,
        depth: Int,
        into out: inout WireWriter
    ) throws(StreamingDeclined) {
        let entryDescriptor = pool[entry]
        guard try scanner.peek() == UInt8(ascii: "{"), let keyField = entryDescriptor.field(number: 1),
            let valueField = entryDescriptor.field(number: 2)
        else { throw StreamingDeclined() }
        var members = try beginCheckedObject()
        while let key = try nextKey(of: &members) {
            let isNull = try scanner.peek() == UInt8(ascii: "n")
            if isNull, !transcoder.isNullable(valueField.type) { throw StreamingDeclined() }
            let keyScalar: WireScalar?
            do {
                keyScalar = try scalars.parse(text: key, as: keyField.type)
            } catch {
                throw StreamingDeclined()
            }
            guard let keyScalar else {
                try skipValue(depth: 0)
                continue
            }
            if case .enumeration = valueField.type {
                // An unknown enum name being ignored drops the whole entry, as the spec says.
                guard let valueScalar = try parse(try scanner.scalar(), as: valueField.type) else { continue }
                out.writeTag(field.number, .lengthDelimited)
                try out.writeDelimited { (out: inout WireWriter) throws(StreamingDeclined) in
                    out.writeTag(1, keyField.type.wireType)
                    try write(keyScalar, into: &out)
                    out.writeTag(2, .varint)
                    try write(valueScalar, into: &out)
                }
                continue
            }
            out.writeTag(field.number, .lengthDelimited)
            try out.writeDelimited { (out: inout WireWriter) throws(StreamingDeclined) in
                out.writeTag(1, keyField.type.wireType)
                try write(keyScalar, into: &out)
                if isNull {
                    _ = try scanner.null()
                    Self.writeNull(2, valueField.type, into: &out)
                } else {
                    try encodeSingle(2, valueField.type, depth: depth, into: &out)
                }
            }
        }
    }

    /// A well-known type in its JSON form (`Any` is left to the tree path: its `@type` may come
    /// after the fields it types).
    mutating func encodeWellKnown(
        _ kind: WellKnownType,
        _ descriptor: MessageDescriptor,
        depth: Int,
        into out: inout WireWriter
    ) throws(StreamingDeclined) {
        switch kind {
        case .timestamp, .duration:
            guard case .string(let text) = try scanner.scalar() else { throw StreamingDeclined() }
            let string = String(decoding: text, as: UTF8.self)
            guard
                let (seconds, nanos) = kind == .timestamp
                    ? WellKnownText.timestamp(string) : WellKnownText.duration(string)
            else { throw StreamingDeclined() }
            out.writeSecondsAndNanos(seconds, nanos)
        case .fieldMask:
            guard case .string(let text) = try scanner.scalar() else { throw StreamingDeclined() }
            try Self.encodeFieldMask(text, into: &out)
        case .wrapper:
            guard let field = descriptor.field(number: 1) else { throw StreamingDeclined() }
            let start = out.count
            try encodeSingle(1, field.type, depth: depth, into: &out)
            // As on the tree path: a default wrapped value stays off the wire.
            if out.isZero(from: start + 1) { out.truncate(to: start) }
        case .structValue:
            guard try scanner.peek() == UInt8(ascii: "{"), let field = descriptor.field(number: 1),
                let entry = field.mapEntry, case .message(let valueType)? = pool[entry].field(number: 2)?.type,
                depth < maxMessageDepth
            else { throw StreamingDeclined() }
            var members = try beginCheckedObject()
            while let key = try nextKey(of: &members) {
                out.writeTag(1, .lengthDelimited)
                try out.writeDelimited { (entry: inout WireWriter) throws(StreamingDeclined) in
                    entry.writeTag(1, .lengthDelimited)
                    entry.writeVarint(UInt64(key.count))
                    entry.writeBytes(key)
                    entry.writeTag(2, .lengthDelimited)
                    try entry.writeDelimited { (body: inout WireWriter) throws(StreamingDeclined) in
                        try encodeMessage(valueType, depth: depth + 1, into: &body)
                    }
                }
            }
        case .listValue:
            guard try scanner.peek() == UInt8(ascii: "["),
                case .message(let valueType)? = descriptor.field(number: 1)?.type,
                depth < maxMessageDepth
            else { throw StreamingDeclined() }
            guard try scanner.beginArray() else { return }
            repeat {
                out.writeTag(1, .lengthDelimited)
                try out.writeDelimited { (body: inout WireWriter) throws(StreamingDeclined) in
                    try encodeMessage(valueType, depth: depth + 1, into: &body)
                }
            } while try scanner.next(orClose: UInt8(ascii: "]"))
        case .value:
            try encodeValueKind(descriptor, depth: depth, into: &out)
        case .any, .empty:
            throw StreamingDeclined()
        }
    }

    /// A `FieldMask`'s comma-separated lowerCamelCase paths as `paths` entries in snake_case,
    /// by bytes; the tree path's `encodeWellKnown(_:text:into:)` splits by characters, so text
    /// beyond ASCII (where a comma could carry a combining mark) is left to it.
    static func encodeFieldMask(_ text: UnsafeRawBufferPointer, into out: inout WireWriter) throws(StreamingDeclined) {
        var index = 0
        while index < text.count {
            var end = index
            while end < text.count, text[end] != UInt8(ascii: ",") { end += 1 }
            // Empty segments are dropped, as `split(separator:)` drops them.
            if end > index {
                out.writeTag(1, .lengthDelimited)
                try out.writeDelimited { (path: inout WireWriter) throws(StreamingDeclined) in
                    for byte in text[index..<end] {
                        guard byte < 0x80, byte != UInt8(ascii: "_") else { throw StreamingDeclined() }
                        if byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z") {
                            path.writeByte(UInt8(ascii: "_"))
                            path.writeByte(byte + 32)
                        } else {
                            path.writeByte(byte)
                        }
                    }
                }
            }
            index = end + 1
        }
    }

    /// `google.protobuf.Value`: the oneof member matching the JSON value's kind.
    private mutating func encodeValueKind(
        _ descriptor: MessageDescriptor,
        depth: Int,
        into out: inout WireWriter
    ) throws(StreamingDeclined) {
        let next = try scanner.peek()
        if next == UInt8(ascii: "{") || next == UInt8(ascii: "[") {
            let number: Int32 = next == UInt8(ascii: "{") ? 5 : 6
            guard case .message(let id)? = descriptor.field(number: number)?.type, depth < maxMessageDepth else {
                throw StreamingDeclined()
            }
            out.writeTag(number, .lengthDelimited)
            try out.writeDelimited { (body: inout WireWriter) throws(StreamingDeclined) in
                try encodeMessage(id, depth: depth + 1, into: &body)
            }
            return
        }
        guard out.writeValueScalar(try scanner.scalar()) else { throw StreamingDeclined() }
    }

    /// Reads past the value at the scanner (an ignored unknown member), checking it as jansson
    /// would, duplicate keys included.
    mutating func skipValue(depth: Int) throws(StreamingDeclined) {
        switch try scanner.peek() {
        case UInt8(ascii: "{"):
            guard depth < maxMessageDepth else { throw StreamingDeclined() }
            var members = try beginCheckedObject()
            while try nextKey(of: &members) != nil {
                try skipValue(depth: depth + 1)
            }
        case UInt8(ascii: "["):
            guard depth < maxMessageDepth else { throw StreamingDeclined() }
            guard try scanner.beginArray() else { return }
            repeat {
                try skipValue(depth: depth + 1)
            } while try scanner.next(orClose: UInt8(ascii: "]"))
        default:
            _ = try scanner.scalar()
        }
    }

    // MARK: Objects whose keys are checked here

    /// The members of an object whose keys the streaming path checks for duplicates itself
    /// (``JSONKeySet``): a map, a `Struct`, a skipped value. Read as
    /// `var members = try beginCheckedObject()` then `while let key = try nextKey(of: &members)`,
    /// each turn reading the member's value.
    struct CheckedMembers {
        /// Where the object's keys start in ``StreamingJSONEncoder/keys``.
        fileprivate let level: Int
        /// Whether the object has members left to read.
        fileprivate var isOpen: Bool
        /// Whether a member was read, so that the next one follows a `,`.
        fileprivate var hasRead = false
    }

    /// Consumes the `{` at the scanner and starts checking the object's keys.
    @inline(__always)
    mutating func beginCheckedObject() throws(StreamingDeclined) -> CheckedMembers {
        let level = keys.beginObject()
        return CheckedMembers(level: level, isOpen: try scanner.beginObject())
    }

    /// The next member's key (its value is next at the scanner), checked against the object's
    /// other keys; nil once the object closed, its keys dropped.
    @inline(__always)
    mutating func nextKey(of members: inout CheckedMembers) throws(StreamingDeclined) -> UnsafeRawBufferPointer? {
        if members.hasRead, members.isOpen {
            members.isOpen = try scanner.next(orClose: UInt8(ascii: "}"))
        }
        guard members.isOpen else {
            keys.endObject(members.level)
            return nil
        }
        members.hasRead = true
        let key = try scanner.key()
        try keys.insert(key, since: members.level)
        return key
    }
}
