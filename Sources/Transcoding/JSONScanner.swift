import CJansson

/// A JSON document the streaming decoder will not finish: anything jansson would refuse,
/// anything the transcoding rules would reject, and the few valid forms it leaves to the tree
/// path (see ``StreamingJSONEncoder``). It carries nothing: the caller starts over on the tree
/// path, which produces the answer (the error with its message and path, or the bytes).
struct StreamingDeclined: Error {}

/// Reads JSON tokens straight from the request bytes, accepting exactly what jansson accepts
/// with `JSON_DECODE_ANY | JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL` (or less: anything else
/// throws ``StreamingDeclined``):
/// RFC 8259 grammar, whitespace of space, tab, CR and LF only, strict UTF-8 (no overlongs,
/// surrogates or code points above U+10FFFF), no control characters in strings, `\u` escapes
/// with paired surrogates, `\u0000` allowed in values, integers within `Int64` and reals that do
/// not overflow.
///
/// Duplicate keys are the caller's to detect (see ``JSONKeySet``); keys with escapes are declined,
/// so every key is a slice of the input.
struct JSONScanner {
    /// The document.
    let base: UnsafeRawPointer
    /// Its length.
    let end: Int
    /// The next byte to read.
    var index = 0
    /// Where strings with escapes are decoded: never more bytes than the document, so every
    /// decoded string stays valid until the scanner is released.
    var decoded: UnsafeMutableRawPointer?
    /// How much of ``decoded`` is taken.
    var decodedCount = 0

    /// A scanner over `bytes`, which must outlive it; call ``release()`` when done.
    init(_ bytes: UnsafeRawBufferPointer) {
        // An empty document has no base address; any valid pointer serves, nothing is read.
        self.base = bytes.baseAddress ?? UnsafeRawPointer(bitPattern: 1)!
        self.end = bytes.count
    }

    /// Frees the decoding space; every string the scanner returned becomes invalid.
    mutating func release() {
        decoded?.deallocate()
        decoded = nil
    }

    /// The byte at `offset` (which must be below ``end``).
    @inline(__always)
    func byte(at offset: Int) -> UInt8 {
        base.load(fromByteOffset: offset, as: UInt8.self)
    }

    /// Skips whitespace and returns the next byte without consuming it.
    /// - Throws: at the end of the document.
    @inline(__always)
    mutating func peek() throws(StreamingDeclined) -> UInt8 {
        while index < end {
            let c = byte(at: index)
            if c > 0x20 { return c }
            guard c == 0x20 || c == 0x0A || c == 0x0D || c == 0x09 else { throw StreamingDeclined() }
            index += 1
        }
        throw StreamingDeclined()
    }

    /// Whether only whitespace is left.
    mutating func isAtEnd() -> Bool {
        while index < end {
            let c = byte(at: index)
            guard c == 0x20 || c == 0x0A || c == 0x0D || c == 0x09 else { return false }
            index += 1
        }
        return true
    }

    /// Consumes `expected` after optional whitespace.
    @inline(__always)
    mutating func expect(_ expected: UInt8) throws(StreamingDeclined) {
        guard try peek() == expected else { throw StreamingDeclined() }
        index += 1
    }

    /// After a member or element: consumes `,` and returns true, or consumes `close` and
    /// returns false.
    @inline(__always)
    mutating func next(orClose close: UInt8) throws(StreamingDeclined) -> Bool {
        let c = try peek()
        index += 1
        if c == UInt8(ascii: ",") { return true }
        guard c == close else { throw StreamingDeclined() }
        return false
    }

    /// Consumes `[` and returns whether the array has an element (false: `]` consumed too).
    mutating func beginArray() throws(StreamingDeclined) -> Bool {
        try expect(UInt8(ascii: "["))
        if try peek() == UInt8(ascii: "]") {
            index += 1
            return false
        }
        return true
    }

    /// Consumes `{` and returns whether the object has a member (false: `}` consumed too).
    mutating func beginObject() throws(StreamingDeclined) -> Bool {
        try expect(UInt8(ascii: "{"))
        if try peek() == UInt8(ascii: "}") {
            index += 1
            return false
        }
        return true
    }

    /// Reads a member's key and the `:` after it. Keys holding escapes are declined.
    mutating func key() throws(StreamingDeclined) -> UnsafeRawBufferPointer {
        try expect(UInt8(ascii: "\""))
        let start = index
        while true {
            guard index < end else { throw StreamingDeclined() }
            let c = byte(at: index)
            if c == UInt8(ascii: "\"") { break }
            guard c >= 0x20, c != UInt8(ascii: "\\") else { throw StreamingDeclined() }
            if c < 0x80 {
                index += 1
            } else {
                index = try validateUTF8Sequence(at: index)
            }
        }
        let key = UnsafeRawBufferPointer(start: base + start, count: index - start)
        index += 1
        try expect(UInt8(ascii: ":"))
        return key
    }

    /// Reads `null`, `true`, `false`, a number or a string (objects and arrays are declined).
    mutating func scalar() throws(StreamingDeclined) -> JSONScalar {
        let c = try peek()
        switch c {
        case UInt8(ascii: "\""): return .string(try string())
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return try number()
        case UInt8(ascii: "t"):
            try literal(0x6575_7274, 4)  // "true"
            return .true
        case UInt8(ascii: "f"):
            try literal(0x6573_6C61, 4, offset: 1)  // "alse"
            return .false
        case UInt8(ascii: "n"):
            try literal(0x6C6C_756E, 4)  // "null"
            return .null
        default: throw StreamingDeclined()
        }
    }

    /// Consumes `null` if it comes next.
    mutating func null() throws(StreamingDeclined) -> Bool {
        guard try peek() == UInt8(ascii: "n") else { return false }
        try literal(0x6C6C_756E, 4)
        return true
    }

    /// Consumes a literal given as its little-endian bytes (`offset` bytes in, after the first).
    @inline(__always)
    private mutating func literal(_ word: UInt32, _ count: Int, offset: Int = 0) throws(StreamingDeclined) {
        let start = index + offset
        guard start + count <= end, base.loadUnaligned(fromByteOffset: start, as: UInt32.self) == word else {
            throw StreamingDeclined()
        }
        index = start + count
    }

    /// Reads a number (the JSON grammar; jansson's integer and real split).
    mutating func number() throws(StreamingDeclined) -> JSONScalar {
        let start = index
        let negative = byte(at: index) == UInt8(ascii: "-")
        if negative { index += 1 }
        guard index < end else { throw StreamingDeclined() }
        var mantissa: UInt64 = 0
        var digits = 0
        let first = byte(at: index)
        if first == UInt8(ascii: "0") {
            index += 1
            // `01` is refused by jansson (and by the grammar).
            if index < end, isDigit(byte(at: index)) { throw StreamingDeclined() }
        } else {
            guard isDigit(first) else { throw StreamingDeclined() }
            while index < end {
                let c = byte(at: index)
                guard isDigit(c) else { break }
                if digits < 19 { mantissa = mantissa &* 10 &+ UInt64(c &- 0x30) }
                digits += 1
                index += 1
            }
        }
        let isInteger =
            index == end || !(byte(at: index) == UInt8(ascii: ".") || byte(at: index) | 0x20 == UInt8(ascii: "e"))
        if isInteger {
            // 19 digits may still exceed Int64; 20 always do (the tree path handles those).
            guard digits <= 19 else { throw StreamingDeclined() }
            if negative {
                // `-0` keeps its sign in a double (protobuf's parsers read it as -0.0, and the
                // response writer writes -0.0 as `-0`): a real, as the tree path reads it too.
                if mantissa == 0 { return .real(-0.0) }
                guard mantissa <= UInt64(Int64.max) + 1 else { throw StreamingDeclined() }
                return .integer(mantissa == UInt64(Int64.max) + 1 ? Int64.min : -Int64(mantissa))
            }
            guard mantissa <= UInt64(Int64.max) else { throw StreamingDeclined() }
            return .integer(Int64(mantissa))
        }
        // Up to 19 significant digits are kept exactly; more go to strtod.
        var exponent = 0
        if byte(at: index) == UInt8(ascii: ".") {
            index += 1
            let fractionStart = index
            while index < end {
                let c = byte(at: index)
                guard isDigit(c) else { break }
                if mantissa == 0 && c == UInt8(ascii: "0") {
                    exponent -= 1
                } else {
                    if digits < 19 {
                        mantissa = mantissa &* 10 &+ UInt64(c &- 0x30)
                        exponent -= 1
                    }
                    digits += 1
                }
                index += 1
            }
            guard index > fractionStart else { throw StreamingDeclined() }
        }
        if index < end, byte(at: index) | 0x20 == UInt8(ascii: "e") {
            index += 1
            var exponentNegative = false
            if index < end, byte(at: index) == UInt8(ascii: "+") || byte(at: index) == UInt8(ascii: "-") {
                exponentNegative = byte(at: index) == UInt8(ascii: "-")
                index += 1
            }
            let exponentStart = index
            var written = 0
            while index < end {
                let c = byte(at: index)
                guard isDigit(c) else { break }
                if written < 100_000 { written = written * 10 + Int(c &- 0x30) }
                index += 1
            }
            guard index > exponentStart else { throw StreamingDeclined() }
            exponent += exponentNegative ? -written : written
        }
        if digits > 19 { return try realByStrtod(from: start) }
        // Exact when the digits fit a double's mantissa and the power of ten is exact: one
        // correctly rounded multiplication or division, the same double strtod returns.
        if mantissa <= 1 << 53, (-22...22).contains(exponent) {
            var value = Double(mantissa)
            value = exponent < 0 ? value / exactPowersOfTen[-exponent] : value * exactPowersOfTen[exponent]
            return .real(negative ? -value : value)
        }
        return try realByStrtod(from: start)
    }

    /// The real literal from `start` to the current position, parsed by strtod as jansson does.
    private func realByStrtod(from start: Int) throws(StreamingDeclined) -> JSONScalar {
        var value = 0.0
        let status = (base + start).withMemoryRebound(to: CChar.self, capacity: index - start) {
            cjansson_strtod($0, index - start, &value)
        }
        guard status == 0 else { throw StreamingDeclined() }
        return .real(value)
    }

    /// Whether `c` is an ASCII digit.
    @inline(__always)
    func isDigit(_ c: UInt8) -> Bool { c &- 0x30 < 10 }
}

/// 10^0 through 10^22: every one is exact in a double.
private let exactPowersOfTen: [Double] = [
    1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18,
    1e19, 1e20, 1e21, 1e22,
]
