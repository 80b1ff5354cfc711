import ProtoSchema

/// A cursor over protobuf wire bytes that have been pinned in memory for the whole walk.
///
/// Positions are offsets into ``bytes`` so that ranges found while scanning a message can be
/// revisited (merged submessages, map entries, packed runs) without copying.
struct WireScanner {
    /// The most bytes a tag's varint may take: five carry 35 bits, enough for any 32-bit tag.
    static let maxTagLength = 5

    let bytes: UnsafeRawBufferPointer
    private(set) var index: Int
    let end: Int

    init(_ bytes: UnsafeRawBufferPointer, range: Range<Int>) {
        self.bytes = bytes
        self.index = range.lowerBound
        self.end = range.upperBound
    }

    var isAtEnd: Bool { index >= end }

    /// The next varint: at most ten bytes, the tenth carrying only bit 63.
    ///
    /// Stricter than upb, C++ and swift-protobuf, which drop the tenth byte's bits past 64: no
    /// encoder writes them, and a value silently cut would not be the value sent.
    mutating func readVarint() throws(TranscodingError) -> UInt64 {
        var result: UInt64 = 0
        var shift: UInt64 = 0
        while index < end {
            let byte = bytes[index]
            index += 1
            if shift == 63 && byte > 1 { throw .malformed("varint overflows 64 bits") }
            result |= UInt64(byte & 0x7F) << shift
            if byte & 0x80 == 0 { return result }
            shift += 7
        }
        throw .malformed("truncated varint")
    }

    /// The next tag's field number (1 through 2^29 - 1) and wire type.
    ///
    /// A tag is a 32-bit varint of at most ``maxTagLength`` bytes: a longer encoding is malformed
    /// even when its value is small (protobuf's `BadTag_OverlongVarint`), and so is a value past
    /// 32 bits (`BadTag_FieldNumberTooHigh`), field number 0 and wire types 6 and 7.
    mutating func readTag() throws(TranscodingError) -> (number: Int32, wireType: WireType) {
        // upb reads tags with `_upb_WireReader_ReadVarint(ptr, &val, 5, UINT32_MAX)` and C++'s
        // `ReadTag` stops after five bytes: both reject what a general 10-byte varint read accepts.
        var tag: UInt64 = 0
        var shift: UInt64 = 0
        while true {
            guard index < end else { throw .malformed("truncated tag") }
            let byte = bytes[index]
            index += 1
            tag |= UInt64(byte & 0x7F) << shift
            if byte & 0x80 == 0 { break }
            shift += 7
            guard shift < 7 * UInt64(Self.maxTagLength) else {
                throw .malformed("tag varint longer than \(Self.maxTagLength) bytes")
            }
        }
        guard tag <= UInt64(UInt32.max) else { throw .malformed("tag \(tag) exceeds 32 bits") }
        guard tag >> 3 != 0 else { throw .malformed("invalid tag \(tag): field number 0") }
        guard let wireType = WireType(rawValue: UInt8(tag & 7)) else {
            throw .malformed("invalid tag \(tag): wire type \(tag & 7)")
        }
        return (Int32(tag >> 3), wireType)
    }

    mutating func readFixed32() throws(TranscodingError) -> UInt32 {
        guard end - index >= 4 else { throw .malformed("truncated fixed32") }
        let value = bytes.loadUnaligned(fromByteOffset: index, as: UInt32.self)
        index += 4
        return UInt32(littleEndian: value)
    }

    mutating func readFixed64() throws(TranscodingError) -> UInt64 {
        guard end - index >= 8 else { throw .malformed("truncated fixed64") }
        let value = bytes.loadUnaligned(fromByteOffset: index, as: UInt64.self)
        index += 8
        return UInt64(littleEndian: value)
    }

    /// Reads a length prefix and returns the range of the payload.
    mutating func readLengthDelimited() throws(TranscodingError) -> Range<Int> {
        let length = try readVarint()
        guard length <= UInt64(end - index) else { throw .malformed("truncated length-delimited field") }
        let start = index
        index += Int(length)
        return start..<index
    }

    /// Skips the value of a field with this wire type and returns its range (a group's range
    /// excludes its end tag).
    mutating func skipValue(_ wireType: WireType, number: Int32, depth: Int = 0) throws(TranscodingError) -> Range<Int>
    {
        let start = index
        switch wireType {
        case .varint: _ = try readVarint()
        case .fixed64: _ = try readFixed64()
        case .fixed32: _ = try readFixed32()
        case .lengthDelimited: return try readLengthDelimited()
        case .startGroup:
            guard depth < maxMessageDepth else { throw .malformed("groups nested more than \(maxMessageDepth) deep") }
            while true {
                guard !isAtEnd else { throw .malformed("unterminated group \(number)") }
                let contentEnd = index
                let (inner, innerType) = try readTag()
                if innerType == .endGroup {
                    guard inner == number else { throw .malformed("mismatched end-group tag \(inner)") }
                    return start..<contentEnd
                }
                _ = try skipValue(innerType, number: inner, depth: depth + 1)
            }
        case .endGroup: throw .malformed("unexpected end-group tag \(number)")
        }
        return start..<index
    }
}
