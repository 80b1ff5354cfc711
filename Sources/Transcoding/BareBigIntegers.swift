import NIOCore

/// Lets bare JSON integers beyond `Int64` through jansson, which stores integers as `Int64` and
/// rejects larger ones ("too big integer").
///
/// proto3 JSON allows a `uint64` as a bare number up to 18446744073709551615 (and any integer
/// literal for a `double`), so when jansson refuses a document for that reason it is parsed
/// again after ``rewrite(_:)`` has turned each such literal into a marked string: two `\u0000`
/// escapes followed by the literal. A document whose own strings start with that marker is not
/// rewritten (the original error stands), so a marked string always came from a bare number.
/// ``JSONValue/kind`` reports marked strings as ``JSONValue/Kind/bigInteger``.
enum BareBigIntegers {
    /// The escaped marker as written in JSON text.
    static let marker: StaticString = "\\u0000\\u0000"

    /// Whether a parse error is jansson's refusal of a bare integer beyond `Int64`.
    static func isTooBigInteger(_ message: String) -> Bool {
        message.contains(": too big integer") || message.contains(": too big negative integer")
    }

    /// The document with every bare integer literal outside `Int64` replaced by a marked string,
    /// or nil if one of the document's strings already starts with the marker.
    static func rewrite(_ json: ByteBuffer) -> ByteBuffer? {
        json.withUnsafeReadableBytes { bytes -> ByteBuffer? in
            var out = ByteBuffer()
            out.reserveCapacity(bytes.count + 64)
            var i = 0
            var copiedUpTo = 0
            while i < bytes.count {
                let byte = bytes[i]
                if byte == UInt8(ascii: "\"") {
                    if startsWithMarker(bytes, at: i + 1) { return nil }
                    i = endOfString(bytes, from: i + 1)
                } else if byte == UInt8(ascii: "-") || (byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9")) {
                    let end = endOfNumber(bytes, from: i)
                    let literal = UnsafeRawBufferPointer(rebasing: bytes[i..<end])
                    if isIntegerBeyondInt64(literal) {
                        out.writeBytes(UnsafeRawBufferPointer(rebasing: bytes[copiedUpTo..<i]))
                        out.writeInteger(UInt8(ascii: "\""))
                        out.writeStaticString(marker)
                        out.writeBytes(literal)
                        out.writeInteger(UInt8(ascii: "\""))
                        copiedUpTo = end
                    }
                    i = end
                } else {
                    i += 1
                }
            }
            out.writeBytes(UnsafeRawBufferPointer(rebasing: bytes[copiedUpTo..<bytes.count]))
            return out
        }
    }

    private static func startsWithMarker(_ bytes: UnsafeRawBufferPointer, at start: Int) -> Bool {
        let escape = marker.withUTF8Buffer { Array($0) }
        guard start + escape.count <= bytes.count else { return false }
        // Zeros have no letter case, and `\U` is not an escape: the spelling is unique.
        for (k, expected) in escape.enumerated() where bytes[start + k] != expected {
            return false
        }
        return true
    }

    /// The index just past the closing quote of a string whose content starts at `start`.
    static func endOfString(_ bytes: UnsafeRawBufferPointer, from start: Int) -> Int {
        var i = start
        while i < bytes.count {
            switch bytes[i] {
            case UInt8(ascii: "\\"): i += 2
            case UInt8(ascii: "\""): return i + 1
            default: i += 1
            }
        }
        return bytes.count
    }

    /// The index just past the number-like run of bytes starting at `start`.
    static func endOfNumber(_ bytes: UnsafeRawBufferPointer, from start: Int) -> Int {
        var i = start
        while i < bytes.count {
            switch bytes[i] {
            case UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "+"),
                UInt8(ascii: "."), UInt8(ascii: "e"), UInt8(ascii: "E"):
                i += 1
            default:
                return i
            }
        }
        return i
    }

    /// Whether `literal` is a well-formed JSON integer (no fraction or exponent) outside `Int64`.
    private static func isIntegerBeyondInt64(_ literal: UnsafeRawBufferPointer) -> Bool {
        var digits = literal[...]
        let negative = digits.first == UInt8(ascii: "-")
        if negative { digits = digits.dropFirst() }
        guard !digits.isEmpty, digits.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }) else {
            return false
        }
        // Shorter literals fit; a leading zero is malformed JSON, which jansson reports itself.
        guard digits.count >= 19, digits.first != UInt8(ascii: "0") else { return false }
        return Int64(String(decoding: literal, as: UTF8.self)) == nil
    }
}
