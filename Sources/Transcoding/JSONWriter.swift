public import NIOCore

/// Low-level JSON writing straight into a `ByteBuffer`: string escaping and number text exactly as
/// proto3 JSON wants them.
///
/// ```swift
/// var body = ByteBuffer()
/// body.writeStaticString("{\"message\":")
/// JSONWriter.writeString("user \"9\" not found", into: &body)
/// body.writeStaticString("}")
/// ```
public enum JSONWriter {
    private static let hexDigits: StaticString = "0123456789abcdef"

    /// Writes `s` as a quoted JSON string: `"` and `\` escaped, control characters as `\b \t \n
    /// \f \r` or `\u00XX`, everything else (including non-ASCII UTF-8) passed through.
    public static func writeString(_ s: some StringProtocol, into out: inout ByteBuffer) {
        var copy = String(s)
        copy.withUTF8 { bytes in
            _ = writeString(utf8: UnsafeRawBufferPointer(bytes), into: &out, validate: false)
        }
    }

    /// Writes UTF-8 bytes as a quoted JSON string.
    /// - Returns: false (having written a partial string) when `validate` is set and the bytes are
    ///   not valid UTF-8.
    @discardableResult
    static func writeString(utf8 bytes: UnsafeRawBufferPointer, into out: inout ByteBuffer, validate: Bool) -> Bool {
        out.writeInteger(UInt8(ascii: "\""))
        var runStart = 0
        var i = 0
        let count = bytes.count
        while i < count {
            let byte = bytes[i]
            if byte >= 0x20 && byte != UInt8(ascii: "\"") && byte != UInt8(ascii: "\\") {
                if byte < 0x80 || !validate {
                    i += 1
                    continue
                }
                guard let length = utf8SequenceLength(bytes, at: i) else { return false }
                i += length
                continue
            }
            if runStart < i { out.writeBytes(UnsafeRawBufferPointer(rebasing: bytes[runStart..<i])) }
            writeEscape(byte, into: &out)
            i += 1
            runStart = i
        }
        if runStart < count { out.writeBytes(UnsafeRawBufferPointer(rebasing: bytes[runStart..<count])) }
        out.writeInteger(UInt8(ascii: "\""))
        return true
    }

    private static func writeEscape(_ byte: UInt8, into out: inout ByteBuffer) {
        switch byte {
        case UInt8(ascii: "\""): out.writeStaticString("\\\"")
        case UInt8(ascii: "\\"): out.writeStaticString("\\\\")
        case 0x08: out.writeStaticString("\\b")
        case 0x09: out.writeStaticString("\\t")
        case 0x0A: out.writeStaticString("\\n")
        case 0x0C: out.writeStaticString("\\f")
        case 0x0D: out.writeStaticString("\\r")
        default:
            out.writeStaticString("\\u00")
            hexDigits.withUTF8Buffer { hex in
                out.writeInteger(hex[Int(byte >> 4)])
                out.writeInteger(hex[Int(byte & 0xF)])
            }
        }
    }

    /// The length of the well-formed UTF-8 sequence starting at `i` (a non-ASCII lead byte), or
    /// nil for an ill-formed one (overlong forms, surrogates and values above U+10FFFF rejected).
    private static func utf8SequenceLength(_ bytes: UnsafeRawBufferPointer, at i: Int) -> Int? {
        let lead = bytes[i]
        let length: Int
        var lower: UInt8 = 0x80
        var upper: UInt8 = 0xBF
        switch lead {
        case 0xC2...0xDF: length = 2
        case 0xE0:
            length = 3
            lower = 0xA0
        case 0xE1...0xEC, 0xEE...0xEF: length = 3
        case 0xED:
            length = 3
            upper = 0x9F
        case 0xF0:
            length = 4
            lower = 0x90
        case 0xF1...0xF3: length = 4
        case 0xF4:
            length = 4
            upper = 0x8F
        default: return nil
        }
        guard i + length <= bytes.count else { return nil }
        let second = bytes[i + 1]
        guard second >= lower && second <= upper else { return nil }
        for k in 2..<length where bytes[i + k] & 0xC0 != 0x80 { return nil }
        return length
    }

    /// Writes a signed integer as a bare JSON number.
    public static func writeNumber(_ value: Int64, into out: inout ByteBuffer) {
        if value < 0 {
            out.writeInteger(UInt8(ascii: "-"))
            writeNumber(value.magnitude, into: &out)
        } else {
            writeNumber(UInt64(value), into: &out)
        }
    }

    /// Writes an unsigned integer as a bare JSON number.
    public static func writeNumber(_ value: UInt64, into out: inout ByteBuffer) {
        // 20 digits hold UInt64.max.
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 20) { digits in
            var v = value
            var i = 20
            repeat {
                i -= 1
                digits[i] = UInt8(ascii: "0") + UInt8(v % 10)
                v /= 10
            } while v != 0
            out.writeBytes(UnsafeRawBufferPointer(rebasing: UnsafeRawBufferPointer(digits)[i..<20]))
        }
    }

    /// Writes a `double` in shortest round-trip form (`1.5`, `100`, `1e+20`); NaN and the
    /// infinities as the strings `"NaN"`, `"Infinity"`, `"-Infinity"`.
    public static func writeNumber(_ value: Double, into out: inout ByteBuffer) {
        if value.isNaN {
            out.writeStaticString("\"NaN\"")
        } else if value.isInfinite {
            out.writeStaticString(value < 0 ? "\"-Infinity\"" : "\"Infinity\"")
        } else {
            writeFiniteDescription(value.description, into: &out)
        }
    }

    /// Writes a `float` in its own shortest round-trip form (not widened to `double`, so `0.1`
    /// stays `0.1`).
    public static func writeNumber(_ value: Float, into out: inout ByteBuffer) {
        if value.isNaN {
            out.writeStaticString("\"NaN\"")
        } else if value.isInfinite {
            out.writeStaticString(value < 0 ? "\"-Infinity\"" : "\"Infinity\"")
        } else {
            writeFiniteDescription(value.description, into: &out)
        }
    }

    /// Swift's `description` is the shortest round-trip text; only the `.0` it adds to integral
    /// values is dropped, the way other protobuf runtimes print them.
    private static func writeFiniteDescription(_ text: String, into out: inout ByteBuffer) {
        var text = text
        _ = text.withUTF8 { bytes in
            if bytes.count >= 2 && bytes[bytes.count - 1] == UInt8(ascii: "0")
                && bytes[bytes.count - 2] == UInt8(ascii: ".")
            {
                out.writeBytes(UnsafeRawBufferPointer(rebasing: UnsafeRawBufferPointer(bytes)[..<(bytes.count - 2)]))
            } else {
                out.writeBytes(UnsafeRawBufferPointer(bytes))
            }
        }
    }

    /// Writes `true` or `false`.
    public static func writeBool(_ value: Bool, into out: inout ByteBuffer) {
        if value { out.writeStaticString("true") } else { out.writeStaticString("false") }
    }

    /// Writes `null`.
    public static func writeNull(into out: inout ByteBuffer) {
        out.writeStaticString("null")
    }
}
