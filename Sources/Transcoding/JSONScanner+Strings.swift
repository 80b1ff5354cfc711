/// Strings: validation, escapes, UTF-8.
extension JSONScanner {
    /// Reads a string value: a slice of the input, or its decoded copy when it has escapes.
    mutating func string() throws(StreamingDeclined) -> UnsafeRawBufferPointer {
        try expect(UInt8(ascii: "\""))
        let start = index
        while true {
            guard index < end else { throw StreamingDeclined() }
            let c = byte(at: index)
            if c == UInt8(ascii: "\"") {
                index += 1
                return UnsafeRawBufferPointer(start: base + start, count: index - 1 - start)
            }
            if c == UInt8(ascii: "\\") { return try decodeEscapedString(from: start) }
            guard c >= 0x20 else { throw StreamingDeclined() }
            if c < 0x80 {
                index += 1
            } else {
                index = try validateUTF8Sequence(at: index)
            }
        }
    }

    /// Finishes a string whose content starts at `start` and which has an escape at `index`,
    /// decoding it into the scanner's decoding space.
    private mutating func decodeEscapedString(from start: Int) throws(StreamingDeclined) -> UnsafeRawBufferPointer {
        if decoded == nil { decoded = UnsafeMutableRawPointer.allocate(byteCount: end, alignment: 1) }
        let out = decoded! + decodedCount
        var length = index - start
        out.copyMemory(from: base + start, byteCount: length)
        while true {
            guard index < end else { throw StreamingDeclined() }
            let c = byte(at: index)
            if c == UInt8(ascii: "\"") {
                index += 1
                decodedCount += length
                return UnsafeRawBufferPointer(start: out, count: length)
            }
            if c == UInt8(ascii: "\\") {
                guard index + 1 < end else { throw StreamingDeclined() }
                let escaped = byte(at: index + 1)
                index += 2
                let plain: UInt8
                switch escaped {
                case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): plain = escaped
                case UInt8(ascii: "b"): plain = 0x08
                case UInt8(ascii: "f"): plain = 0x0C
                case UInt8(ascii: "n"): plain = 0x0A
                case UInt8(ascii: "r"): plain = 0x0D
                case UInt8(ascii: "t"): plain = 0x09
                case UInt8(ascii: "u"):
                    length += try unicodeEscape(into: out + length)
                    continue
                default: throw StreamingDeclined()
                }
                out.storeBytes(of: plain, toByteOffset: length, as: UInt8.self)
                length += 1
                continue
            }
            guard c >= 0x20 else { throw StreamingDeclined() }
            let next = c < 0x80 ? index + 1 : try validateUTF8Sequence(at: index)
            (out + length).copyMemory(from: base + index, byteCount: next - index)
            length += next - index
            index = next
        }
    }

    /// Decodes the four hex digits after `\u` (and a low surrogate's escape after a high one)
    /// as UTF-8 at `out`; returns the byte count (never more than the escape's length).
    private mutating func unicodeEscape(into out: UnsafeMutableRawPointer) throws(StreamingDeclined) -> Int {
        var scalar = try hex4()
        if (0xD800...0xDBFF).contains(scalar) {
            guard index + 1 < end, byte(at: index) == UInt8(ascii: "\\"), byte(at: index + 1) == UInt8(ascii: "u")
            else {
                throw StreamingDeclined()
            }
            index += 2
            let low = try hex4()
            guard (0xDC00...0xDFFF).contains(low) else { throw StreamingDeclined() }
            scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
        } else if (0xDC00...0xDFFF).contains(scalar) {
            throw StreamingDeclined()
        }
        switch scalar {
        case 0..<0x80:
            out.storeBytes(of: UInt8(scalar), as: UInt8.self)
            return 1
        case 0x80..<0x800:
            out.storeBytes(of: UInt8(0xC0 | scalar >> 6), as: UInt8.self)
            out.storeBytes(of: UInt8(0x80 | scalar & 0x3F), toByteOffset: 1, as: UInt8.self)
            return 2
        case 0x800..<0x10000:
            out.storeBytes(of: UInt8(0xE0 | scalar >> 12), as: UInt8.self)
            out.storeBytes(of: UInt8(0x80 | scalar >> 6 & 0x3F), toByteOffset: 1, as: UInt8.self)
            out.storeBytes(of: UInt8(0x80 | scalar & 0x3F), toByteOffset: 2, as: UInt8.self)
            return 3
        default:
            out.storeBytes(of: UInt8(0xF0 | scalar >> 18), as: UInt8.self)
            out.storeBytes(of: UInt8(0x80 | scalar >> 12 & 0x3F), toByteOffset: 1, as: UInt8.self)
            out.storeBytes(of: UInt8(0x80 | scalar >> 6 & 0x3F), toByteOffset: 2, as: UInt8.self)
            out.storeBytes(of: UInt8(0x80 | scalar & 0x3F), toByteOffset: 3, as: UInt8.self)
            return 4
        }
    }

    private mutating func hex4() throws(StreamingDeclined) -> UInt32 {
        guard index + 4 <= end else { throw StreamingDeclined() }
        var value: UInt32 = 0
        for offset in 0..<4 {
            let c = byte(at: index + offset)
            let digit: UInt8
            switch c {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = c - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = c - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = c - UInt8(ascii: "A") + 10
            default: throw StreamingDeclined()
            }
            value = value << 4 | UInt32(digit)
        }
        index += 4
        return value
    }

    /// Checks the multi-byte UTF-8 sequence starting at `start` (its lead byte is ≥ 0x80) and
    /// returns the index after it (Unicode's table of well-formed sequences).
    func validateUTF8Sequence(at start: Int) throws(StreamingDeclined) -> Int {
        let lead = byte(at: start)
        let count: Int
        var low: UInt8 = 0x80
        var high: UInt8 = 0xBF
        switch lead {
        case 0xC2...0xDF: count = 2
        case 0xE0:
            count = 3
            low = 0xA0
        case 0xE1...0xEC, 0xEE...0xEF: count = 3
        case 0xED:
            count = 3
            high = 0x9F
        case 0xF0:
            count = 4
            low = 0x90
        case 0xF1...0xF3: count = 4
        case 0xF4:
            count = 4
            high = 0x8F
        default: throw StreamingDeclined()
        }
        guard start + count <= end else { throw StreamingDeclined() }
        let second = byte(at: start + 1)
        guard second >= low, second <= high else { throw StreamingDeclined() }
        for offset in 2..<max(count, 2) where byte(at: start + offset) & 0xC0 != 0x80 {
            throw StreamingDeclined()
        }
        return start + count
    }
}
