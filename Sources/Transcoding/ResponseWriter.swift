import NIOCore
import ProtoSchema

/// One field occurrence found while scanning a message's wire bytes.
struct Occurrence {
    /// Position of the field in ``MessageDescriptor/fields``.
    var fieldIndex: Int
    var wireType: WireType
    /// The value bytes: the varint or fixed bytes, a length-delimited payload, a group's content.
    var range: Range<Int>
}

/// The wire-to-JSON walk over bytes pinned for the duration of one ``ResponseTranscoder`` call.
struct ResponseWriter {
    let bytes: UnsafeRawBufferPointer
    let pool: DescriptorPool
    let options: JSONCodecOptions
    /// How many messages enclose the one being written (bounded by ``maxMessageDepth``).
    var depth = 0

    /// A copy for writing the fields of a message one level deeper.
    func nested() throws(TranscodingError) -> ResponseWriter {
        guard depth < maxMessageDepth else { throw .malformed("messages nested more than \(maxMessageDepth) deep") }
        var copy = self
        copy.depth += 1
        return copy
    }

    func name(of field: FieldDescriptor) -> String {
        options.useProtoNames ? field.name : field.jsonName
    }

    /// Scans the concatenation of `segments` (several for a merged message) and returns the
    /// occurrences of known fields sorted by declaration index, wire order kept within a field.
    ///
    /// Of each oneof only the member that came last on the wire is kept, and only its
    /// occurrences since another member last interrupted it, as a parser would have it.
    func scan(
        _ descriptor: MessageDescriptor,
        _ segments: some Sequence<Range<Int>>
    ) throws(TranscodingError)
        -> [Occurrence]
    {
        var occurrences: [Occurrence] = []
        // One allocation for most messages instead of one per doubling.
        occurrences.reserveCapacity(min(descriptor.fields.count, 16))
        var sorted = true
        // Per oneof: the member set last and the offset of its first occurrence since then.
        var oneofWinners: [(fieldIndex: Int, since: Int)?] = []
        var oneofConflict = false
        for segment in segments {
            var scanner = WireScanner(bytes, range: segment)
            while !scanner.isAtEnd {
                let (number, wireType) = try scanner.readTag()
                let range = try scanner.skipValue(wireType, number: number)
                guard let index = descriptor.fieldIndex(number: number) else { continue }
                let field = descriptor.fields[index]
                let expected = field.type.wireType
                guard
                    wireType == expected
                        || (wireType == .lengthDelimited && field.isRepeated && field.type.isPackable)
                else {
                    // A parser treats a field with an unexpected wire type as unknown.
                    continue
                }
                // So does it a closed enum's undeclared number: the field keeps its earlier value.
                if wireType == .varint && isUndeclaredClosedEnumNumber(field.type, range) { continue }
                if let last = occurrences.last, last.fieldIndex > index { sorted = false }
                if let oneof = field.oneofIndex {
                    if oneofWinners.isEmpty { oneofWinners = Array(repeating: nil, count: descriptor.oneofs.count) }
                    if let winner = oneofWinners[oneof], winner.fieldIndex == index {
                        // The same member again: merged or overridden, as usual.
                    } else {
                        oneofConflict = oneofConflict || oneofWinners[oneof] != nil
                        oneofWinners[oneof] = (index, range.lowerBound)
                    }
                }
                occurrences.append(Occurrence(fieldIndex: index, wireType: wireType, range: range))
            }
        }
        if oneofConflict {
            occurrences.removeAll { occurrence in
                guard let oneof = descriptor.fields[occurrence.fieldIndex].oneofIndex,
                    let winner = oneofWinners[oneof]
                else { return false }
                return winner.fieldIndex != occurrence.fieldIndex || occurrence.range.lowerBound < winner.since
            }
        }
        if !sorted {
            occurrences.sort { ($0.fieldIndex, $0.range.lowerBound) < ($1.fieldIndex, $1.range.lowerBound) }
        }
        return occurrences
    }

    /// Writes a message as a JSON object.
    func writeMessage(
        _ type: MessageID,
        segments: some Sequence<Range<Int>>,
        into out: inout ByteBuffer
    )
        throws(TranscodingError)
    {
        let descriptor = pool[type]
        if let wellKnown = descriptor.wellKnownType, wellKnown != .empty {
            try writeWellKnown(wellKnown, descriptor, segments: segments, into: &out)
            return
        }
        out.writeInteger(UInt8(ascii: "{"))
        var first = true
        try writeFields(descriptor, segments: segments, first: &first, into: &out)
        out.writeInteger(UInt8(ascii: "}"))
    }

    /// Writes the members of a message object (`"name":value` pairs, comma-separated after
    /// `first`), without the braces, so `Any` can put `"@type"` before them.
    func writeFields(
        _ descriptor: MessageDescriptor,
        segments: some Sequence<Range<Int>>,
        first: inout Bool,
        into out: inout ByteBuffer
    ) throws(TranscodingError) {
        let occurrences = try scan(descriptor, segments)
        let inner = try nested()
        let fields = descriptor.fields
        if options.emitUnpopulated {
            var k = 0
            for index in fields.indices {
                let start = k
                while k < occurrences.count && occurrences[k].fieldIndex == index { k += 1 }
                try inner.writeMember(fields[index], occurrences[start..<k], first: &first, into: &out)
            }
            return
        }
        // Only the fields on the wire: a message with 3 of its 200 fields set costs 3 steps.
        var k = 0
        while k < occurrences.count {
            let start = k
            let index = occurrences[k].fieldIndex
            while k < occurrences.count && occurrences[k].fieldIndex == index { k += 1 }
            try inner.writeMember(fields[index], occurrences[start..<k], first: &first, into: &out)
        }
    }

    /// Writes `"name":value` for one field (and the comma before it unless `first`), or nothing
    /// when the field is absent or at its default and unpopulated fields are not wanted.
    private func writeMember(
        _ field: FieldDescriptor,
        _ found: ArraySlice<Occurrence>,
        first: inout Bool,
        into out: inout ByteBuffer
    ) throws(TranscodingError) {
        if found.isEmpty || (!field.hasPresence && !field.isRepeated && isDefault(found.last!))
            || (field.isRepeated && !hasElements(field, found))
        {
            guard options.emitUnpopulated && !field.hasPresence else { return }
        }
        if !first { out.writeInteger(UInt8(ascii: ",")) }
        first = false
        if let key = options.useProtoNames ? field.protoNameKey : field.jsonNameKey {
            out.writeBytes(key)
        } else {
            JSONWriter.writeString(name(of: field), into: &out)
            out.writeInteger(UInt8(ascii: ":"))
        }
        try withPath(.field(name(of: field))) { () throws(TranscodingError) in
            try writeValue(field, found, into: &out)
        }
    }

    /// Writes the JSON value of one top-level field of the message in `segments`.
    func writeField(
        _ field: FieldDescriptor,
        of type: MessageID,
        segments: some Sequence<Range<Int>>,
        into out: inout ByteBuffer
    ) throws(TranscodingError) {
        let descriptor = pool[type]
        let occurrences = try scan(descriptor, segments)
        guard let index = descriptor.fieldIndex(number: field.number) else {
            throw .invalid("\(field.name) is not a field of \(descriptor.fullName)")
        }
        let found = occurrences.filter { $0.fieldIndex == index }
        try withPath(.field(name(of: field))) { () throws(TranscodingError) in
            try writeValue(field, found[...], into: &out)
        }
    }

    /// Writes a field's value from its occurrences (empty: the default form).
    func writeValue(
        _ field: FieldDescriptor,
        _ found: ArraySlice<Occurrence>,
        into out: inout ByteBuffer
    )
        throws(TranscodingError)
    {
        if let entry = field.mapEntry {
            try writeMap(entry, found, into: &out)
        } else if field.isRepeated {
            try writeArray(field.type, found, strictUTF8: field.validatesUTF8, into: &out)
        } else if let last = found.last {
            switch field.type {
            case .message(let id), .group(let id):
                try writeMessage(id, segments: found.lazy.map(\.range), into: &out)
            default:
                try writeScalar(field.type, last.range, strictUTF8: field.validatesUTF8, into: &out)
            }
        } else {
            writeDefault(field.type, into: &out)
        }
    }

    private func writeArray(
        _ type: FieldType,
        _ found: ArraySlice<Occurrence>,
        strictUTF8: Bool,
        into out: inout ByteBuffer
    )
        throws(TranscodingError)
    {
        out.writeInteger(UInt8(ascii: "["))
        var count = 0
        func separate(_ out: inout ByteBuffer) {
            if count > 0 { out.writeInteger(UInt8(ascii: ",")) }
        }
        for occurrence in found {
            if occurrence.wireType == .lengthDelimited && type.isPackable {
                var scanner = WireScanner(bytes, range: occurrence.range)
                while !scanner.isAtEnd {
                    let start = scanner.index
                    _ = try withPath(.index(count)) { () throws(TranscodingError) in
                        try scanner.skipValue(type.wireType, number: 0)
                    }
                    if isUndeclaredClosedEnumNumber(type, start..<scanner.index) { continue }
                    separate(&out)
                    try withPath(.index(count)) { () throws(TranscodingError) in
                        try writeScalar(type, start..<scanner.index, strictUTF8: strictUTF8, into: &out)
                    }
                    count += 1
                }
                continue
            }
            separate(&out)
            try withPath(.index(count)) { () throws(TranscodingError) in
                switch type {
                case .message(let id), .group(let id):
                    try writeMessage(id, segments: CollectionOfOne(occurrence.range), into: &out)
                default:
                    try writeScalar(type, occurrence.range, strictUTF8: strictUTF8, into: &out)
                }
            }
            count += 1
        }
        out.writeInteger(UInt8(ascii: "]"))
    }

    /// Whether a repeated field's occurrences hold an element: a packed run can be empty, or hold
    /// only a closed enum's undeclared numbers, and a map only entries whose values are such
    /// numbers; a parser's field is then empty too.
    private func hasElements(_ field: FieldDescriptor, _ found: ArraySlice<Occurrence>) -> Bool {
        if let entryType = field.mapEntry {
            guard let value = pool[entryType].field(number: 2), case .enumeration(let id) = value.type,
                pool[id].isClosed
            else { return true }
            return found.contains { !isUndeclaredClosedEnumEntry($0.range, value: value) }
        }
        return found.contains { occurrence in
            guard occurrence.wireType == .lengthDelimited && field.type.isPackable else { return true }
            guard case .enumeration(let id) = field.type, pool[id].isClosed else { return !occurrence.range.isEmpty }
            var scanner = WireScanner(bytes, range: occurrence.range)
            while !scanner.isAtEnd {
                let start = scanner.index
                // A malformed run counts: writing it reports the error.
                guard (try? scanner.skipValue(.varint, number: 0)) != nil else { return true }
                if !isUndeclaredClosedEnumNumber(field.type, start..<scanner.index) { return true }
            }
            return false
        }
    }

    /// Whether the map entry at `range` has a value that is a closed enum's undeclared number (a
    /// malformed entry counts as not: writing it reports the error).
    private func isUndeclaredClosedEnumEntry(_ range: Range<Int>, value: FieldDescriptor) -> Bool {
        var scanner = WireScanner(bytes, range: range)
        var valueRange: Range<Int>?
        while !scanner.isAtEnd {
            guard let (number, wireType) = try? scanner.readTag(),
                let field = try? scanner.skipValue(wireType, number: number)
            else { return false }
            if number == 2 && wireType == .varint { valueRange = field }
        }
        return valueRange.map { isUndeclaredClosedEnumNumber(value.type, $0) } ?? false
    }

    /// Whether the varint at `range` is a number a closed enum (proto2's, or `enum_type: CLOSED`)
    /// does not declare. A parser keeps such a value among the message's unknown fields (C++,
    /// upb and swift-protobuf alike), which JSON does not show: an element of a repeated field
    /// is left out, a singular field or oneof keeps what it held, a map entry goes whole.
    func isUndeclaredClosedEnumNumber(_ type: FieldType, _ range: Range<Int>) -> Bool {
        guard case .enumeration(let id) = type, pool[id].isClosed else { return false }
        var scanner = WireScanner(bytes, range: range)
        guard let number = try? scanner.readVarint() else { return false }
        return pool[id].name(number: Int32(truncatingIfNeeded: number)) == nil
    }

    /// Whether a singular scalar occurrence holds the type's default (zero bits, empty bytes).
    private func isDefault(_ occurrence: Occurrence) -> Bool {
        switch occurrence.wireType {
        case .lengthDelimited:
            return occurrence.range.isEmpty
        case .varint:
            // The last byte of a varint is zero only for the value 0 or a padded encoding.
            var scanner = WireScanner(bytes, range: occurrence.range)
            return (try? scanner.readVarint()) == 0
        case .fixed32, .fixed64:
            return occurrence.range.allSatisfy { bytes[$0] == 0 }
        case .startGroup, .endGroup:
            return false
        }
    }
}
