/// Malformed protobuf wire data.
public struct WireFormatError: Error, Sendable, CustomStringConvertible {
    /// What was wrong with the bytes.
    public var message: String
    /// Creates an error.
    public init(_ message: String) { self.message = message }
    /// A one-line account, for logs and error bodies.
    public var description: String { message }
}

/// A minimal cursor over protobuf wire bytes, for options the pool decodes by hand.
struct WireReader {
    private var bytes: ArraySlice<UInt8>

    init(_ bytes: ArraySlice<UInt8>) { self.bytes = bytes }

    mutating func readVarint() throws(WireFormatError) -> UInt64 {
        var result: UInt64 = 0
        var shift: UInt64 = 0
        while let byte = bytes.popFirst() {
            result |= UInt64(byte & 0x7F) << shift
            if byte & 0x80 == 0 { return result }
            shift += 7
            if shift >= 64 { throw WireFormatError("varint too long") }
        }
        throw WireFormatError("truncated varint")
    }

    /// The next tag's field number and wire type, or nil at the end.
    mutating func nextTag() throws(WireFormatError) -> (UInt64, WireType)? {
        if bytes.isEmpty { return nil }
        let before = bytes.count
        let tag = try readVarint()
        // A tag is a 32-bit varint of at most five bytes, as protobuf's parsers read tags.
        guard before - bytes.count <= 5, tag <= UInt64(UInt32.max), let wireType = WireType(rawValue: UInt8(tag & 7)),
            tag >> 3 != 0
        else { throw WireFormatError("invalid tag \(tag) (\(before - bytes.count) bytes)") }
        return (tag >> 3, wireType)
    }

    mutating func readLengthDelimited() throws(WireFormatError) -> ArraySlice<UInt8> {
        let length = try readVarint()
        guard length <= UInt64(bytes.count) else { throw WireFormatError("truncated length-delimited field") }
        let value = bytes.prefix(Int(length))
        bytes = bytes.dropFirst(Int(length))
        return value
    }

    mutating func readString() throws(WireFormatError) -> String {
        String(decoding: try readLengthDelimited(), as: UTF8.self)
    }

    mutating func skip(_ wireType: WireType) throws(WireFormatError) {
        switch wireType {
        case .varint: _ = try readVarint()
        case .fixed64: try drop(8)
        case .fixed32: try drop(4)
        case .lengthDelimited: _ = try readLengthDelimited()
        case .startGroup:
            while let (_, inner) = try nextTag() {
                if inner == .endGroup { return }
                try skip(inner)
            }
            throw WireFormatError("unterminated group")
        case .endGroup: throw WireFormatError("unexpected end-group tag")
        }
    }

    private mutating func drop(_ count: Int) throws(WireFormatError) {
        guard bytes.count >= count else { throw WireFormatError("truncated fixed-width field") }
        bytes = bytes.dropFirst(count)
    }
}
