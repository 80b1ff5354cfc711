import ProtoSchema

/// A cursor over protobuf wire bytes that have been pinned in memory for the whole walk.
///
/// Positions are offsets into ``bytes`` so that ranges found while scanning a message can be
/// revisited (merged submessages, map entries, packed runs) without copying.
struct WireScanner {
    let bytes: UnsafeRawBufferPointer
    private(set) var index: Int
    let end: Int

    init(_ bytes: UnsafeRawBufferPointer, range: Range<Int>) {
        self.bytes = bytes
        self.index = range.lowerBound
        self.end = range.upperBound
    }

    var isAtEnd: Bool { index >= end }

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

    /// The next tag's field number and wire type.
    mutating func readTag() throws(TranscodingError) -> (number: Int32, wireType: WireType) {
        let tag = try readVarint()
        guard let wireType = WireType(rawValue: UInt8(tag & 7)), tag >> 3 != 0, tag >> 3 <= UInt64(Int32.max)
        else { throw .malformed("invalid tag \(tag)") }
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
