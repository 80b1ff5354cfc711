import ProtoSchema

/// A cursor over protobuf wire bytes for ``CanonicalBinary``: reads tags and values, and copies
/// fields it does not interpret (unknown fields) in the form C++'s `UnknownFieldSet` writes them.
struct WireCursor {
    private let bytes: ArraySlice<UInt8>
    private var index: Int

    /// A cursor at the start of `bytes`.
    init(_ bytes: ArraySlice<UInt8>) {
        self.bytes = bytes
        self.index = bytes.startIndex
    }

    /// Whether every byte has been read.
    var isAtEnd: Bool { index >= bytes.endIndex }

    /// The next varint (at most ten bytes, the last carrying only the top bit).
    mutating func readVarint() throws(WireFormatError) -> UInt64 {
        var result: UInt64 = 0
        var shift: UInt64 = 0
        while index < bytes.endIndex {
            let byte = bytes[index]
            index += 1
            if shift == 63 && byte > 1 { throw WireFormatError("varint overflows 64 bits") }
            result |= UInt64(byte & 0x7F) << shift
            if byte & 0x80 == 0 { return result }
            shift += 7
        }
        throw WireFormatError("truncated varint")
    }

    /// The next tag's field number (1 through 2^29 - 1) and wire type: a 32-bit varint of at most
    /// five bytes, as the gateway's decoder reads tags.
    mutating func readTag() throws(WireFormatError) -> (number: Int32, wireType: WireType) {
        let start = index
        let tag = try readVarint()
        // Five bytes carry any 32-bit tag; a longer one is an overlong encoding C++ rejects.
        guard index - start <= 5, tag <= UInt64(UInt32.max), let wireType = WireType(rawValue: UInt8(tag & 7)),
            tag >> 3 != 0
        else { throw WireFormatError("invalid tag \(tag) (\(index - start) bytes)") }
        return (Int32(tag >> 3), wireType)
    }

    /// The next `count` bytes.
    mutating func read(count: Int) throws(WireFormatError) -> ArraySlice<UInt8> {
        guard bytes.endIndex - index >= count else { throw WireFormatError("truncated field") }
        defer { index += count }
        return bytes[index..<index + count]
    }

    /// A length prefix and the payload it announces.
    mutating func readLengthDelimited() throws(WireFormatError) -> ArraySlice<UInt8> {
        let length = try readVarint()
        guard length <= UInt64(bytes.endIndex - index) else {
            throw WireFormatError("truncated length-delimited field")
        }
        return try read(count: Int(length))
    }

    /// The contents of a group whose start tag has been read, up to (and consuming) its end tag.
    mutating func readGroup(number: Int32, depth: Int) throws(WireFormatError) -> ArraySlice<UInt8> {
        let start = index
        // Skipping by copying keeps one walker for nested groups; the contents are read again as
        // a message once every occurrence has been merged.
        var discarded: [UInt8] = []
        while true {
            guard !isAtEnd else { throw WireFormatError("unterminated group \(number)") }
            let end = index
            let (inner, wireType) = try readTag()
            if wireType == .endGroup {
                guard inner == number else { throw WireFormatError("mismatched end-group tag \(inner)") }
                return bytes[start..<end]
            }
            try copyField(inner, wireType, into: &discarded, depth: depth + 1)
            discarded.removeAll(keepingCapacity: true)
        }
    }

    /// Reads the value of a field this schema does not interpret and appends the field to `out`,
    /// tag and varints re-encoded minimally, groups recursively (C++ keeps unknown fields parsed).
    mutating func copyField(
        _ number: Int32,
        _ wireType: WireType,
        into out: inout [UInt8],
        depth: Int
    ) throws(WireFormatError) {
        switch wireType {
        case .varint:
            let value = try readVarint()
            out.appendTag(number, .varint)
            out.appendVarint(value)
        case .fixed64, .fixed32:
            let value = try read(count: wireType == .fixed64 ? 8 : 4)
            out.appendTag(number, wireType)
            out += value
        case .lengthDelimited:
            let payload = try readLengthDelimited()
            out.appendTag(number, .lengthDelimited)
            out.appendVarint(UInt64(payload.count))
            out += payload
        case .startGroup:
            guard depth < CanonicalBinary.maxDepth else {
                throw WireFormatError("groups nested more than \(CanonicalBinary.maxDepth) deep")
            }
            out.appendTag(number, .startGroup)
            while true {
                guard !isAtEnd else { throw WireFormatError("unterminated group \(number)") }
                let (inner, innerType) = try readTag()
                if innerType == .endGroup {
                    guard inner == number else { throw WireFormatError("mismatched end-group tag \(inner)") }
                    out.appendTag(number, .endGroup)
                    return
                }
                try copyField(inner, innerType, into: &out, depth: depth + 1)
            }
        case .endGroup:
            throw WireFormatError("unexpected end-group tag \(number)")
        }
    }

    /// One value of a scalar field (its wire type already checked), re-encoded as C++ writes it
    /// back, with the varint as read (before narrowing) for enum validity checks. With
    /// `boolFrom32Bits`, a bool is true iff the low 32 bits are not all zero (C++ map entries).
    mutating func readScalar(
        _ type: FieldType,
        boolFrom32Bits: Bool
    ) throws(WireFormatError) -> (bytes: [UInt8], raw: UInt64) {
        switch type.wireType {
        case .varint:
            let raw = try readVarint()
            let value: UInt64
            switch type {
            // 32-bit signed values are sign-extended to ten bytes when negative.
            case .int32, .enumeration: value = UInt64(bitPattern: Int64(Int32(truncatingIfNeeded: raw)))
            // sint32 stays zigzagged: only the narrowing to 32 bits shows.
            case .uint32, .sint32: value = UInt64(UInt32(truncatingIfNeeded: raw))
            case .bool: value = (boolFrom32Bits ? raw & 0xFFFF_FFFF : raw) == 0 ? 0 : 1
            default: value = raw
            }
            var bytes: [UInt8] = []
            bytes.appendVarint(value)
            return (bytes, raw)
        case .fixed64: return (Array(try read(count: 8)), 0)
        case .fixed32: return (Array(try read(count: 4)), 0)
        case .lengthDelimited: return (Array(try readLengthDelimited()), 0)
        case .startGroup, .endGroup: throw WireFormatError("a group is not a scalar")
        }
    }
}

extension FieldType {
    /// The canonical encoding (without tag) of the type's default value; an empty message for
    /// message types.
    var defaultEncoding: [UInt8] {
        switch wireType {
        case .varint: return [0]
        case .fixed64: return [UInt8](repeating: 0, count: 8)
        case .fixed32: return [UInt8](repeating: 0, count: 4)
        case .lengthDelimited, .startGroup, .endGroup: return []
        }
    }

    /// Whether a canonically encoded scalar is the proto3 default, which fields without presence
    /// omit. Floating point compares bit patterns, so -0.0 is kept.
    func isDefault(_ encoded: [UInt8]) -> Bool {
        wireType == .lengthDelimited ? encoded.isEmpty : encoded.allSatisfy { $0 == 0 }
    }
}

extension [UInt8] {
    /// Appends `value` as a minimal varint.
    mutating func appendVarint(_ value: UInt64) {
        var rest = value
        while rest >= 0x80 {
            append(UInt8(truncatingIfNeeded: rest) | 0x80)
            rest >>= 7
        }
        append(UInt8(rest))
    }

    /// Appends the tag of field `number` with `wireType`.
    mutating func appendTag(_ number: Int32, _ wireType: WireType) {
        appendVarint(UInt64(UInt32(bitPattern: number)) << 3 | UInt64(wireType.rawValue))
    }

    /// Appends one unpacked field: tag and value, with a length prefix for length-delimited types
    /// and an end tag for groups.
    mutating func appendField(_ number: Int32, _ type: FieldType, _ value: [UInt8]) {
        appendTag(number, type.wireType)
        switch type.wireType {
        case .lengthDelimited: appendVarint(UInt64(value.count))
        case .startGroup:
            append(contentsOf: value)
            appendTag(number, .endGroup)
            return
        default: break
        }
        append(contentsOf: value)
    }
}
