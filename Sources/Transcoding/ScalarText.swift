/// Parsing of the proto3 JSON string forms of scalars: quoted numbers, path and query values,
/// map keys.
enum ScalarText {
    /// Parses a JSON-grammar number (`-12`, `1e2`, `100.0`) that must be integral.
    ///
    /// Pure integer text is parsed exactly (so 64-bit values keep every digit); forms with a
    /// fraction or exponent go through `Double` and must come out integral.
    /// - Returns: the value, or nil if the text is not a number or not integral.
    static func integer(_ text: UnsafeRawBufferPointer) -> Int128? {
        // Up to 18 digits cannot overflow Int64: the common case, without Int128 arithmetic.
        if let small = smallInteger(text) { return Int128(small) }
        guard let shape = numberShape(text) else { return nil }
        if shape == .integer {
            var value: Int128 = 0
            var negative = false
            for byte in text {
                if byte == UInt8(ascii: "-") {
                    negative = true
                    continue
                }
                let (times, o1) = value.multipliedReportingOverflow(by: 10)
                let (plus, o2) = times.addingReportingOverflow(Int128(byte - UInt8(ascii: "0")))
                guard !o1 && !o2 else { return nil }
                value = plus
            }
            return negative ? -value : value
        }
        guard let double = Double(String(decoding: text, as: UTF8.self)) else { return nil }
        return integral(double)
    }

    /// `-?(0|[1-9][0-9]{0,17})` as an Int64; nil for anything else (which ``integer(_:)``
    /// then parses the long way).
    private static func smallInteger(_ text: UnsafeRawBufferPointer) -> Int64? {
        let negative = text.first == UInt8(ascii: "-")
        let start = negative ? 1 : 0
        let digits = text.count - start
        guard digits >= 1, digits <= 18, digits == 1 || text[start] != UInt8(ascii: "0") else { return nil }
        var value: Int64 = 0
        for i in start..<text.count {
            let digit = text[i] &- UInt8(ascii: "0")
            guard digit < 10 else { return nil }
            value = value * 10 + Int64(digit)
        }
        return negative ? -value : value
    }

    /// ``integer(_:)``, optionally for text whose integer part has leading zeros (`007` is 7,
    /// `-007` is -7, `000` is 0): path and query values, where grpc-gateway and Envoy accept them.
    static func integer(_ text: UnsafeRawBufferPointer, allowingLeadingZeros: Bool) -> Int128? {
        guard allowingLeadingZeros else { return integer(text) }
        let sign = text.first == UInt8(ascii: "-") ? 1 : 0
        var zeros = 0
        while sign + zeros + 1 < text.count, text[sign + zeros] == UInt8(ascii: "0"),
            text[sign + zeros + 1] >= UInt8(ascii: "0"), text[sign + zeros + 1] <= UInt8(ascii: "9")
        {
            zeros += 1
        }
        guard zeros > 0 else { return integer(text) }
        // The sign, then the digits from the first one that is not a dropped zero.
        var trimmed = [UInt8](text[..<sign])
        trimmed.append(contentsOf: text[(sign + zeros)...])
        return trimmed.withUnsafeBytes { integer($0) }
    }

    /// The integer value of a finite integral double below 2^64 in magnitude.
    static func integral(_ double: Double) -> Int128? {
        guard double.isFinite, double.rounded(.towardZero) == double, double.magnitude < 0x1p64 else { return nil }
        return Int128(double)
    }

    /// Parses a JSON-grammar number or one of `NaN`, `Infinity`, `-Infinity`.
    static func double(_ text: UnsafeRawBufferPointer) -> Double? {
        if equals(text, "NaN") { return .nan }
        if equals(text, "Infinity") { return .infinity }
        if equals(text, "-Infinity") { return -.infinity }
        guard numberShape(text) != nil, let value = Double(String(decoding: text, as: UTF8.self)) else { return nil }
        // "1e400" overflows to infinity: out of range, not a spelling of Infinity.
        return value.isFinite ? value : nil
    }

    /// Parses `true` or `false`.
    static func bool(_ text: UnsafeRawBufferPointer) -> Bool? {
        if equals(text, "true") { return true }
        if equals(text, "false") { return false }
        return nil
    }

    enum NumberShape { case integer, decimal }

    /// Checks the JSON number grammar `-? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?`
    /// (no spaces, no `+`, no leading zeros, no hex).
    static func numberShape(_ text: UnsafeRawBufferPointer) -> NumberShape? {
        var i = 0
        let n = text.count
        func digits() -> Int {
            let start = i
            while i < n && text[i] >= UInt8(ascii: "0") && text[i] <= UInt8(ascii: "9") { i += 1 }
            return i - start
        }
        if i < n && text[i] == UInt8(ascii: "-") { i += 1 }
        let intStart = i
        let intDigits = digits()
        guard intDigits > 0, intDigits == 1 || text[intStart] != UInt8(ascii: "0") else { return nil }
        var shape = NumberShape.integer
        if i < n && text[i] == UInt8(ascii: ".") {
            i += 1
            guard digits() > 0 else { return nil }
            shape = .decimal
        }
        if i < n && (text[i] == UInt8(ascii: "e") || text[i] == UInt8(ascii: "E")) {
            i += 1
            if i < n && (text[i] == UInt8(ascii: "+") || text[i] == UInt8(ascii: "-")) { i += 1 }
            guard digits() > 0 else { return nil }
            shape = .decimal
        }
        return i == n ? shape : nil
    }

    static func equals(_ text: UnsafeRawBufferPointer, _ literal: StaticString) -> Bool {
        literal.withUTF8Buffer { lit in
            lit.count == text.count && zip(lit, text).allSatisfy { $0 == $1 }
        }
    }
}

extension StringProtocol {
    /// Calls `body` with the string's UTF-8 bytes, copying only when the storage is not
    /// contiguous.
    func withUTF8Bytes<R, E: Error>(_ body: (UnsafeRawBufferPointer) throws(E) -> R) throws(E) -> R {
        var copy = String(self)
        let result: Result<R, E> = copy.withUTF8 { bytes in
            do throws(E) {
                return .success(try body(UnsafeRawBufferPointer(bytes)))
            } catch {
                return .failure(error)
            }
        }
        return try result.get()
    }
}
