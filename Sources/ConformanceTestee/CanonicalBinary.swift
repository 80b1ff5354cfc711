import NIOCore
import ProtoSchema

/// Re-encodes protobuf wire bytes the way C++ writes a message back after parsing them, using only
/// the schema in a ``DescriptorPool``.
///
/// Known fields come out in field-number order, followed by the unknown fields in the order they
/// were read. A singular scalar keeps its last value; fields without presence (proto3) are
/// omitted at their default; singular messages and groups merge every occurrence; repeated fields
/// accept packed and unpacked input and are written packed iff ``FieldDescriptor/isPacked``; maps
/// keep one entry per key (the last), with key and value always written; a oneof keeps only the
/// member that came last; a closed enum's unknown number becomes an unknown field. Varints are
/// narrowed to their type (int32 sign-extended to 64 bits) and written minimally.
struct CanonicalBinary {
    /// How deeply messages and groups may nest.
    static let maxDepth = 100

    /// The descriptor pool with the message types.
    let pool: DescriptorPool
    /// Per message type (by pool index), the positions in its `fields` sorted by field number.
    private let numberOrder: [[Int]]

    /// A re-encoder for the message types in `pool`.
    init(pool: DescriptorPool) {
        self.pool = pool
        self.numberOrder = pool.messages.map { message in
            message.fields.indices.sorted { message.fields[$0].number < message.fields[$1].number }
        }
    }

    /// The canonical encoding of `bytes` read as a `type` message.
    func reencode(_ bytes: [UInt8], as type: MessageID) throws(WireFormatError) -> [UInt8] {
        try message(bytes[...], type, depth: 0)
    }

    /// The canonical encoding of the readable bytes of `buffer` read as a `type` message.
    func reencode(_ buffer: ByteBuffer, as type: MessageID) throws(WireFormatError) -> [UInt8] {
        try reencode(Array(buffer.readableBytesView), as: type)
    }

    /// What one field has accumulated while a message is read.
    private enum Slot {
        /// A singular scalar's canonical value, or a singular message's payloads concatenated.
        case single([UInt8])
        /// Repeated values: canonical scalars, strings, or canonical messages.
        case list([[UInt8]])
        /// Map entries (canonical) by canonical key, keys in first-insertion order.
        case map(keys: [[UInt8]], entries: [[UInt8]: [UInt8]])
    }

    /// A message read but not yet written.
    private struct Fields {
        /// The message type read.
        let type: MessageID
        /// How many messages enclose it.
        let depth: Int
        /// By position in the descriptor's `fields`.
        var slots: [Int: Slot] = [:]
        /// Unknown fields, already in their written form.
        var unknown: [UInt8] = []
        /// The member of each oneof (by oneof index) that was read last.
        var oneofMembers: [Int: Int] = [:]

        /// Appends one element to the repeated field at `index`.
        mutating func append(_ value: [UInt8], at index: Int) {
            if case .list(var values) = slots[index] {
                slots[index] = nil  // keeps `values` uniquely referenced while appending
                values.append(value)
                slots[index] = .list(values)
            } else {
                slots[index] = .list([value])
            }
        }
    }

    private func message(_ bytes: ArraySlice<UInt8>, _ type: MessageID, depth: Int) throws(WireFormatError) -> [UInt8] {
        try write(try read(bytes, type, depth: depth, isMapEntry: false), type, depth: depth)
    }

    /// Reads a message's fields. Map entries (`isMapEntry`) take enum values unchecked (C++ checks
    /// the whole entry afterwards) and read bools from the low 32 bits, as C++'s map parser does.
    private func read(
        _ bytes: ArraySlice<UInt8>,
        _ type: MessageID,
        depth: Int,
        isMapEntry: Bool
    ) throws(WireFormatError) -> Fields {
        guard depth < Self.maxDepth else { throw WireFormatError("messages nested more than \(Self.maxDepth) deep") }
        let descriptor = pool[type]
        var fields = Fields(type: type, depth: depth)
        var cursor = WireCursor(bytes)
        while !cursor.isAtEnd {
            let (number, wireType) = try cursor.readTag()
            guard let index = descriptor.fieldIndex(number: number) else {
                try cursor.copyField(number, wireType, into: &fields.unknown, depth: depth)
                continue
            }
            let field = descriptor.fields[index]
            if field.isRepeated, field.type.isPackable, wireType == .lengthDelimited {
                var run = WireCursor(try cursor.readLengthDelimited())
                while !run.isAtEnd {
                    try readScalar(field, index, from: &run, into: &fields, isMapEntry: isMapEntry)
                }
            } else if wireType == field.type.wireType {
                try readValue(field, index, from: &cursor, into: &fields, isMapEntry: isMapEntry)
            } else {
                // A known number with the wrong wire type is an unknown field to C++.
                try cursor.copyField(number, wireType, into: &fields.unknown, depth: depth)
            }
        }
        return fields
    }

    private func readValue(
        _ field: FieldDescriptor,
        _ index: Int,
        from cursor: inout WireCursor,
        into fields: inout Fields,
        isMapEntry: Bool
    ) throws(WireFormatError) {
        let depth = fields.depth
        switch field.type {
        case .message(let id), .group(let id):
            let payload: ArraySlice<UInt8>
            if case .group = field.type {
                payload = try cursor.readGroup(number: field.number, depth: depth)
            } else {
                payload = try cursor.readLengthDelimited()
            }
            if let entry = field.mapEntry {
                try readMapEntry(payload, entry, field, index, into: &fields, depth: depth + 1)
            } else if field.isRepeated {
                fields.append(try message(payload, id, depth: depth + 1), at: index)
            } else {
                try activate(index, of: field, in: &fields)
                if case .single(var merged) = fields.slots[index] {
                    fields.slots[index] = nil  // keeps `merged` uniquely referenced while appending
                    merged += payload
                    fields.slots[index] = .single(merged)
                } else {
                    fields.slots[index] = .single(Array(payload))
                }
            }
        default:
            try readScalar(field, index, from: &cursor, into: &fields, isMapEntry: isMapEntry)
        }
    }

    private func readScalar(
        _ field: FieldDescriptor,
        _ index: Int,
        from cursor: inout WireCursor,
        into fields: inout Fields,
        isMapEntry: Bool
    ) throws(WireFormatError) {
        let (value, raw) = try cursor.readScalar(field.type, boolFrom32Bits: isMapEntry)
        if !isMapEntry, !isKnownEnumValue(raw, of: field.type) {
            fields.unknown.appendTag(field.number, .varint)
            fields.unknown.appendVarint(raw)
        } else if field.isRepeated {
            fields.append(value, at: index)
        } else {
            try activate(index, of: field, in: &fields)
            fields.slots[index] = .single(value)
        }
    }

    /// Makes `index` its oneof's member, dropping what another member had accumulated. A dropped
    /// message is still parsed: C++ reads every occurrence, so malformed ones fail the input.
    private func activate(_ index: Int, of field: FieldDescriptor, in fields: inout Fields) throws(WireFormatError) {
        guard let oneof = field.oneofIndex else { return }
        if let current = fields.oneofMembers[oneof], current != index {
            switch (fields.slots[current], pool[fields.type].fields[current].type) {
            case (.single(let payload), .message(let id)), (.single(let payload), .group(let id)):
                _ = try message(payload[...], id, depth: fields.depth + 1)
            default: break
            }
            fields.slots[current] = nil
        }
        fields.oneofMembers[oneof] = index
    }

    /// Whether `raw` is acceptable for a field of `type`: always, except for numbers a closed
    /// (proto2) enum does not declare.
    private func isKnownEnumValue(_ raw: UInt64, of type: FieldType) -> Bool {
        guard case .enumeration(let id) = type, pool[id].isClosed else { return true }
        return pool[id].name(number: Int32(truncatingIfNeeded: raw)) != nil
    }

    /// Adds one map entry (key and value always written; unknown fields inside dropped), replacing
    /// an earlier entry with the same key. An entry whose value a closed enum does not declare
    /// becomes an unknown field, as in C++.
    private func readMapEntry(
        _ payload: ArraySlice<UInt8>,
        _ entryType: MessageID,
        _ field: FieldDescriptor,
        _ index: Int,
        into fields: inout Fields,
        depth: Int
    ) throws(WireFormatError) {
        var entry = try read(payload, entryType, depth: depth, isMapEntry: true)
        entry.unknown = []
        let descriptor = pool[entryType]
        guard let keyIndex = descriptor.fieldIndex(number: 1), let valueIndex = descriptor.fieldIndex(number: 2) else {
            throw WireFormatError("map entry \(descriptor.fullName) lacks its key or value field")
        }
        for position in [keyIndex, valueIndex] where entry.slots[position] == nil {
            entry.slots[position] = .single(descriptor.fields[position].type.defaultEncoding)
        }
        guard case .single(let key) = entry.slots[keyIndex], case .single(let value) = entry.slots[valueIndex] else {
            throw WireFormatError("map entry \(descriptor.fullName) has a repeated key or value")
        }
        let written = try write(entry, entryType, depth: depth, keepingDefaults: true)
        let valueType = descriptor.fields[valueIndex].type
        if case .enumeration = valueType {
            var cursor = WireCursor(value[...])
            guard isKnownEnumValue(try cursor.readVarint(), of: valueType) else {
                fields.unknown.appendField(field.number, field.type, written)
                return
            }
        }
        if case .map(var keys, var entries) = fields.slots[index] {
            fields.slots[index] = nil  // keeps the collections uniquely referenced while updating
            if entries.updateValue(written, forKey: key) == nil { keys.append(key) }
            fields.slots[index] = .map(keys: keys, entries: entries)
        } else {
            fields.slots[index] = .map(keys: [key], entries: [key: written])
        }
    }

    /// Writes what was read: known fields by number, then the unknown fields. Map entries keep
    /// default keys and values (`keepingDefaults`).
    private func write(
        _ fields: Fields,
        _ type: MessageID,
        depth: Int,
        keepingDefaults: Bool = false
    ) throws(WireFormatError) -> [UInt8] {
        let descriptor = pool[type]
        var out: [UInt8] = []
        for index in numberOrder[type.index] {
            guard let slot = fields.slots[index] else { continue }
            let field = descriptor.fields[index]
            switch slot {
            case .single(let value):
                switch field.type {
                case .message(let id), .group(let id):
                    out.appendField(field.number, field.type, try message(value[...], id, depth: depth + 1))
                default:
                    if !keepingDefaults, !field.hasPresence, field.type.isDefault(value) { continue }
                    out.appendField(field.number, field.type, value)
                }
            case .list(let values) where field.isPacked && field.type.isPackable:
                guard !values.isEmpty else { continue }
                out.appendTag(field.number, .lengthDelimited)
                out.appendVarint(UInt64(values.reduce(0) { $0 + $1.count }))
                for value in values { out += value }
            case .list(let values):
                for value in values { out.appendField(field.number, field.type, value) }
            case .map(let keys, let entries):
                for key in keys {
                    if let entry = entries[key] { out.appendField(field.number, field.type, entry) }
                }
            }
        }
        out += fields.unknown
        return out
    }
}
