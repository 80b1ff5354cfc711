import NIOCore
import ProtoSchema

/// The JSON-object walk: one message per object, fields looked up by either name.
extension RequestTranscoder {
    /// Encodes the members of a JSON object as the fields of message `type`.
    func encodeMessage(_ object: JSONValue, _ type: MessageID, into out: inout ByteBuffer) throws(TranscodingError) {
        let descriptor = pool[type]
        if let wellKnown = descriptor.wellKnownType, wellKnown != .empty {
            try encodeWellKnown(wellKnown, object, descriptor, into: &out)
            return
        }
        try encodeFields(object, descriptor, into: &out)
    }

    /// Encodes the members of a JSON object as fields of `descriptor` (all but `skipping`).
    func encodeFields(
        _ object: JSONValue,
        _ descriptor: MessageDescriptor,
        skipping skippedKey: String? = nil,
        into out: inout ByteBuffer
    ) throws(TranscodingError) {
        guard object.kind == .object else {
            throw .invalid("expected an object for \(descriptor.fullName), got \(object.kindName)")
        }
        let inner = try nested()
        var seenFields = BitSet(count: descriptor.fields.count)
        var seenOneofs = BitSet(count: descriptor.oneofs.count)
        var oneofMembers: [Int: String] = [:]
        try object.forEachMember { (key: String, value: JSONValue) throws(TranscodingError) in
            if key == skippedKey { return }
            guard let index = descriptor.fieldIndex(named: key) else {
                if options.ignoreUnknownFields { return }
                // The path names the unknown key itself, so a client sees where it is.
                throw TranscodingError(
                    code: .unknownField,
                    message: "unknown field \"\(key)\" in \(descriptor.fullName)"
                ).prepending(.field(key))
            }
            let field = descriptor.fields[index]
            try withPath(.field(key)) { () throws(TranscodingError) in
                guard seenFields.insert(index) else {
                    throw .invalid("field \(field.name) is set twice (under both of its names)")
                }
                if value.kind == .null {
                    try encodeNull(field, into: &out)
                    return
                }
                if let oneof = field.oneofIndex {
                    guard seenOneofs.insert(oneof) else {
                        let other = oneofMembers[oneof] ?? "another member"
                        throw .invalid(
                            "oneof \(descriptor.oneofs[oneof]) has more than one member set (\(other) and \(key))"
                        )
                    }
                    oneofMembers[oneof] = key
                }
                try inner.encodeField(field, value, into: &out)
            }
        }
    }

    /// A JSON `null` member: the field keeps its default, except `google.protobuf.NullValue`,
    /// whose only value is written as `null`.
    func encodeNull(_ field: FieldDescriptor, into out: inout ByteBuffer) throws(TranscodingError) {
        guard !field.isRepeated, isNullable(field.type) else { return }
        try encodeSingle(field.number, field.type, JSONValue.null, into: &out)
    }

    /// Whether `null` is a value of `type` rather than "absent": `google.protobuf.Value`
    /// (its `null_value`) and `google.protobuf.NullValue`.
    func isNullable(_ type: FieldType) -> Bool {
        switch type {
        case .enumeration(let id): pool[id].fullName == nullValueName
        case .message(let id): pool[id].wellKnownType == .value
        default: false
        }
    }

    /// Encodes one field's JSON value (not null): tag and value, each element of an array, or
    /// each entry of a map.
    func encodeField(_ field: FieldDescriptor, _ value: JSONValue, into out: inout ByteBuffer) throws(TranscodingError)
    {
        if let entry = field.mapEntry {
            try encodeMap(field, entry, value, into: &out)
        } else if field.isRepeated {
            try encodeRepeated(field, value, into: &out)
        } else {
            try encodeSingle(field.number, field.type, value, into: &out)
        }
    }

    /// Writes tag and value of one non-null value.
    func encodeSingle(
        _ number: Int32,
        _ type: FieldType,
        _ value: JSONValue,
        into out: inout ByteBuffer
    ) throws(TranscodingError) {
        switch type {
        case .message(let id):
            out.writeTag(number, .lengthDelimited)
            try out.writeDelimited { (out: inout ByteBuffer) throws(TranscodingError) in
                try encodeMessage(value, id, into: &out)
            }
        case .group(let id):
            out.writeTag(number, .startGroup)
            try encodeMessage(value, id, into: &out)
            out.writeTag(number, .endGroup)
        case .enumeration where value.kind == .null:
            // Only NullValue gets here (see isNullable): its one value, NULL_VALUE = 0.
            out.writeTag(number, .varint)
            out.writeVarint(0)
        default:
            guard let scalar = try scalars.parse(value, as: type) else { return }
            out.writeTag(number, type.wireType)
            try scalar.write(into: &out)
        }
    }

    private func encodeRepeated(
        _ field: FieldDescriptor,
        _ array: JSONValue,
        into out: inout ByteBuffer
    )
        throws(TranscodingError)
    {
        guard array.kind == .array else { throw .invalid("expected an array, got \(array.kindName)") }
        let count = array.count
        if count == 0 { return }
        if field.isPacked && field.type.isPackable {
            out.writeTag(field.number, .lengthDelimited)
            try out.writeDelimited { (out: inout ByteBuffer) throws(TranscodingError) in
                for i in 0..<count {
                    let element = array[i]
                    try withPath(.index(i)) { () throws(TranscodingError) in
                        guard element.kind != .null else { throw .invalid("null is not allowed in an array") }
                        try scalars.parse(element, as: field.type)?.write(into: &out)
                    }
                }
            }
            return
        }
        for i in 0..<count {
            let element = array[i]
            try withPath(.index(i)) { () throws(TranscodingError) in
                guard element.kind != .null || isNullable(field.type) else {
                    throw .invalid("null is not allowed in an array")
                }
                try encodeSingle(field.number, field.type, element, into: &out)
            }
        }
    }

    private func encodeMap(
        _ field: FieldDescriptor,
        _ entry: MessageID,
        _ object: JSONValue,
        into out: inout ByteBuffer
    ) throws(TranscodingError) {
        guard object.kind == .object else { throw .invalid("expected an object (map), got \(object.kindName)") }
        let entryDescriptor = pool[entry]
        guard let keyField = entryDescriptor.field(number: 1), let valueField = entryDescriptor.field(number: 2) else {
            throw .invalid("malformed map entry type \(entryDescriptor.fullName)")
        }
        let parser = scalars
        try object.forEachMember { (key: String, value: JSONValue) throws(TranscodingError) in
            try withPath(.mapKey(key)) { () throws(TranscodingError) in
                guard value.kind != .null || isNullable(valueField.type) else {
                    throw .invalid("null is not allowed as a map value")
                }
                // The key's bytes are borrowed, so the whole entry is written inside the closure.
                try key.withUTF8Bytes { (keyText) throws(TranscodingError) in
                    guard let keyScalar = try parser.parse(text: keyText, as: keyField.type) else { return }
                    if case .enumeration = valueField.type {
                        // An unknown enum name being ignored drops the whole entry, as the spec says.
                        guard let valueScalar = try parser.parse(value, as: valueField.type) else { return }
                        out.writeTag(field.number, .lengthDelimited)
                        try out.writeDelimited { (out: inout ByteBuffer) throws(TranscodingError) in
                            out.writeTag(1, keyField.type.wireType)
                            try keyScalar.write(into: &out)
                            out.writeTag(2, .varint)
                            try valueScalar.write(into: &out)
                        }
                        return
                    }
                    out.writeTag(field.number, .lengthDelimited)
                    try out.writeDelimited { (out: inout ByteBuffer) throws(TranscodingError) in
                        out.writeTag(1, keyField.type.wireType)
                        try keyScalar.write(into: &out)
                        try encodeSingle(2, valueField.type, value, into: &out)
                    }
                }
            }
        }
    }
}

/// The protobuf runtimes' default recursion limit: deeper documents are rejected instead of
/// exhausting the event loop's stack.
let maxMessageDepth = 100

/// The one enum whose JSON form is `null`.
let nullValueName = "google.protobuf.NullValue"

/// A fixed-size set of small integers, inline up to 64 members.
struct BitSet {
    private var low: UInt64 = 0
    private var high: [UInt64]

    init(count: Int) {
        high = count > 64 ? Array(repeating: 0, count: (count - 64 + 63) / 64) : []
    }

    /// Inserts `index`; returns false if it was already present.
    mutating func insert(_ index: Int) -> Bool {
        if index < 64 {
            let bit = UInt64(1) << UInt64(index)
            defer { low |= bit }
            return low & bit == 0
        }
        let word = (index - 64) / 64
        let bit = UInt64(1) << UInt64((index - 64) % 64)
        defer { high[word] |= bit }
        return high[word] & bit == 0
    }
}
