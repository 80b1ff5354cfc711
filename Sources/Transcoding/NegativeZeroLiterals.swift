import NIOCore

/// Keeps the sign of the JSON number `-0` through jansson, which reads that integer literal as
/// the integer 0.
///
/// protobuf's JSON parsers read `-0` for a `double` or `float` field (and a `Value`'s number) as
/// -0.0, which proto3 then writes (its bits are not zero), and Portico's response writer writes
/// -0.0 as `-0`, as C++ does. The streaming path reads the literal as the real -0.0; the tree
/// path parses a document with a bare `-0` a second time after ``rewrite(_:)`` has spelled each
/// as `-0.0`, which every field reads as its zero except the floating ones.
enum NegativeZeroLiterals {
    /// The document with every bare `-0` literal written `-0.0`, or nil when it has none.
    static func rewrite(_ json: ByteBuffer) -> ByteBuffer? {
        json.withUnsafeReadableBytes { bytes -> ByteBuffer? in
            var out: ByteBuffer?
            var i = 0
            var copiedUpTo = 0
            while i < bytes.count {
                let byte = bytes[i]
                if byte == UInt8(ascii: "\"") {
                    i = BareBigIntegers.endOfString(bytes, from: i + 1)
                } else if byte == UInt8(ascii: "-") || (byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9")) {
                    let end = BareBigIntegers.endOfNumber(bytes, from: i)
                    if end - i == 2, byte == UInt8(ascii: "-"), bytes[i + 1] == UInt8(ascii: "0") {
                        if out == nil { out = ByteBuffer() }
                        out!.writeBytes(UnsafeRawBufferPointer(rebasing: bytes[copiedUpTo..<end]))
                        out!.writeStaticString(".0")
                        copiedUpTo = end
                    }
                    i = end
                } else {
                    i += 1
                }
            }
            guard var out else { return nil }
            out.writeBytes(UnsafeRawBufferPointer(rebasing: bytes[copiedUpTo..<bytes.count]))
            return out
        }
    }
}
