import NIOCore
import ProtoSchema

/// JSON text straight to protobuf wire bytes in one pass, without building a tree: the fast path
/// of ``RequestTranscoder``.
///
/// It walks the message descriptors as it reads the tokens (``JSONScanner``), finds each member's
/// field by the key's bytes (``MessageDescriptor/fieldIndexByName``) and writes as it goes, in
/// document order, exactly the bytes the tree path (jansson, then ``RequestTranscoder``'s walk)
/// writes for the same document.
///
/// It never reports an error itself. Whatever it does not finish throws ``StreamingDeclined``
/// and the caller starts over on the tree path: every document jansson refuses, every value the
/// transcoding rules reject (so errors keep jansson's messages, line and column, and the walk's
/// messages and paths), and the valid forms left to the tree: `google.protobuf.Any`, object keys
/// with escapes, bare integers beyond `Int64`. The walk here mirrors the tree walk step by step
/// (`encodeFields`, `encodeSingle`, ... in `RequestTranscoder+Message.swift`), including where
/// the nesting depth is counted.
struct StreamingJSONEncoder {
    /// The document's tokens.
    var scanner: JSONScanner
    /// Keys of the open objects that need a duplicate check of their own.
    var keys = JSONKeySet()
    /// The transcoder being served (options, the tree path's helpers).
    let transcoder: RequestTranscoder
    /// The schema.
    let pool: DescriptorPool
    /// The scalar rules, as the tree path applies them.
    let scalars: ScalarParser
    /// Unknown members are skipped instead of declined.
    let ignoreUnknownFields: Bool

    /// An encoder over `bytes` (which must outlive it) for `transcoder`.
    init(_ bytes: UnsafeRawBufferPointer, transcoder: RequestTranscoder) {
        self.scanner = JSONScanner(bytes)
        self.transcoder = transcoder
        self.pool = transcoder.pool
        self.scalars = transcoder.scalars
        self.ignoreUnknownFields = transcoder.options.ignoreUnknownFields
    }

    /// Encodes `json` as message `type` into `out`; false (and `out` as it was) when declined.
    static func encode(
        _ json: ByteBuffer,
        as type: MessageID,
        transcoder: RequestTranscoder,
        into out: inout ByteBuffer
    ) -> Bool {
        run(json, transcoder: transcoder, into: &out) { (encoder, out) throws(StreamingDeclined) in
            if try encoder.scanner.peek() == UInt8(ascii: "n"), encoder.pool[type].wellKnownType != .value {
                throw StreamingDeclined()
            }
            try encoder.encodeMessage(type, depth: 0, into: &out)
        }
    }

    /// Encodes `json` as the value of `field` into `out`; false (and `out` as it was) when
    /// declined.
    static func encode(
        _ json: ByteBuffer,
        asField field: FieldDescriptor,
        transcoder: RequestTranscoder,
        into out: inout ByteBuffer
    ) -> Bool {
        run(json, transcoder: transcoder, into: &out) { (encoder, out) throws(StreamingDeclined) in
            if try encoder.scanner.null() {
                encoder.encodeNull(field, into: &out)
            } else {
                try encoder.encodeField(field, depth: 0, into: &out)
            }
        }
    }

    private static func run(
        _ json: ByteBuffer,
        transcoder: RequestTranscoder,
        into out: inout ByteBuffer,
        _ body: (inout StreamingJSONEncoder, inout WireWriter) throws(StreamingDeclined) -> Void
    ) -> Bool {
        json.withUnsafeReadableBytes { bytes in
            var encoder = StreamingJSONEncoder(bytes, transcoder: transcoder)
            var wire = WireWriter(capacity: bytes.count)
            defer {
                encoder.scanner.release()
                wire.release()
            }
            do {
                try body(&encoder, &wire)
                guard encoder.scanner.isAtEnd() else { return false }
            } catch {
                return false
            }
            out.writeBytes(wire.bytes)
            return true
        }
    }

    // MARK: Messages

    /// The value at the scanner as message `id` (an object, or a well-known type's JSON form).
    mutating func encodeMessage(_ id: MessageID, depth: Int, into out: inout WireWriter) throws(StreamingDeclined) {
        let descriptor = pool[id]
        if let wellKnown = descriptor.wellKnownType, wellKnown != .empty {
            try encodeWellKnown(wellKnown, descriptor, depth: depth, into: &out)
            return
        }
        try encodeFields(descriptor, depth: depth, into: &out)
    }

    /// The object at the scanner as the fields of `descriptor`; its members are one level deeper.
    mutating func encodeFields(
        _ descriptor: MessageDescriptor,
        depth: Int,
        into out: inout WireWriter
    ) throws(StreamingDeclined) {
        guard depth < maxMessageDepth else { throw StreamingDeclined() }
        guard try scanner.beginObject() else { return }
        var seenFields = SmallBitSet()
        var seenOneofs = SmallBitSet()
        var unknownKeys: Int? = nil
        repeat {
            let key = try scanner.key()
            guard let found = descriptor.fieldIndexByName.value(for: key) else {
                // The tree path looks names up as Strings, which compare by canonical
                // equivalence (`K` U+212A is `K`): a key beyond ASCII may name a field there.
                guard ignoreUnknownFields, key.allSatisfy({ $0 < 0x80 }) else { throw StreamingDeclined() }
                if unknownKeys == nil { unknownKeys = keys.beginObject() }
                try keys.insert(key, since: unknownKeys!)
                try skipValue(depth: 0)
                continue
            }
            let index = Int(found)
            let field = descriptor.fields[index]
            // A second member for one field: a duplicate key, or both of its names.
            guard seenFields.insert(index) else { throw StreamingDeclined() }
            if try scanner.null() {
                encodeNull(field, into: &out)
                continue
            }
            if let oneof = field.oneofIndex {
                guard seenOneofs.insert(oneof) else { throw StreamingDeclined() }
            }
            try encodeField(field, depth: depth + 1, into: &out)
        } while try scanner.next(orClose: UInt8(ascii: "}"))
        if let unknownKeys { keys.endObject(unknownKeys) }
    }

    // The helpers below are `mutating` although they change nothing: called from the mutating
    // walk, a non-mutating method gets a copy of the whole encoder (retaining each reference).

    /// A `null` member: nothing, except for `google.protobuf.Value` and `NullValue` fields.
    mutating func encodeNull(_ field: FieldDescriptor, into out: inout WireWriter) {
        guard !field.isRepeated, transcoder.isNullable(field.type) else { return }
        Self.writeNull(field.number, field.type, into: &out)
    }

    /// Writes `null` as field `number` of a nullable type: `NullValue`'s one value, or a
    /// `Value` holding `null_value`.
    static func writeNull(_ number: Int32, _ type: FieldType, into out: inout WireWriter) {
        if case .message = type {
            out.writeTag(number, .lengthDelimited)
            out.writeDelimited { (value: inout WireWriter) in
                value.writeTag(1, .varint)
                value.writeVarint(0)
            }
        } else {
            out.writeTag(number, .varint)
            out.writeVarint(0)
        }
    }

    /// One field's value (not null): tag and value, each element of an array, or each entry of
    /// a map.
    mutating func encodeField(
        _ field: FieldDescriptor,
        depth: Int,
        into out: inout WireWriter
    ) throws(StreamingDeclined) {
        if let entry = field.mapEntry {
            try encodeMap(field, entry, depth: depth, into: &out)
        } else if field.isRepeated {
            try encodeRepeated(field, depth: depth, into: &out)
        } else {
            try encodeSingle(field.number, field.type, depth: depth, into: &out)
        }
    }

    /// Tag and value of one non-null value.
    mutating func encodeSingle(
        _ number: Int32,
        _ type: FieldType,
        depth: Int,
        into out: inout WireWriter
    ) throws(StreamingDeclined) {
        switch type {
        case .message(let id):
            out.writeTag(number, .lengthDelimited)
            try out.writeDelimited { (out: inout WireWriter) throws(StreamingDeclined) in
                try encodeMessage(id, depth: depth, into: &out)
            }
        case .group(let id):
            out.writeTag(number, .startGroup)
            try encodeMessage(id, depth: depth, into: &out)
            out.writeTag(number, .endGroup)
        default:
            guard let scalar = try parse(try scanner.scalar(), as: type) else { return }
            out.writeTag(number, type.wireType)
            try write(scalar, into: &out)
        }
    }

    /// The scalar rules shared with the tree path; a rejected value declines.
    mutating func parse(_ value: JSONScalar, as type: FieldType) throws(StreamingDeclined) -> WireScalar? {
        do {
            return try scalars.parse(value, as: type)
        } catch {
            throw StreamingDeclined()
        }
    }

    /// Writes a parsed scalar; bad base64 declines.
    func write(_ scalar: WireScalar, into out: inout WireWriter) throws(StreamingDeclined) {
        do {
            try scalar.write(into: &out)
        } catch {
            throw StreamingDeclined()
        }
    }
}

/// A set of small integers (field and oneof positions), inline up to 256 members.
struct SmallBitSet {
    private var words: (UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0)
    private var more: [Int: Bool] = [:]

    /// Inserts `index`; returns false if it was already present.
    mutating func insert(_ index: Int) -> Bool {
        let bit = UInt64(1) << UInt64(index & 63)
        switch index >> 6 {
        case 0:
            defer { words.0 |= bit }
            return words.0 & bit == 0
        case 1:
            defer { words.1 |= bit }
            return words.1 & bit == 0
        case 2:
            defer { words.2 |= bit }
            return words.2 & bit == 0
        case 3:
            defer { words.3 |= bit }
            return words.3 & bit == 0
        default:
            return more.updateValue(true, forKey: index) == nil
        }
    }
}
