import TextCoding

/// The string forms of `Timestamp`, `Duration` and `FieldMask` in the proto3 JSON mapping.
enum WellKnownText {
    /// `0001-01-01T00:00:00Z`, the earliest valid `Timestamp`.
    static let minTimestampSeconds: Int64 = -62_135_596_800
    /// `9999-12-31T23:59:59Z`, the latest valid `Timestamp` second.
    static let maxTimestampSeconds: Int64 = 253_402_300_799
    /// About 10,000 years, the `Duration` range either side of zero.
    static let maxDurationSeconds: Int64 = 315_576_000_000

    // MARK: Timestamp

    /// RFC 3339 in UTC with `Z` and 0, 3, 6 or 9 fractional digits; nil when out of range.
    static func timestamp(seconds: Int64, nanos: Int32) -> String? {
        guard (minTimestampSeconds...maxTimestampSeconds).contains(seconds), (0...999_999_999).contains(nanos) else {
            return nil
        }
        let days = seconds >= 0 ? seconds / 86_400 : (seconds - 86_399) / 86_400
        let secondOfDay = seconds - days * 86_400
        let (year, month, day) = CivilCalendar.date(days: days)
        var text = pad(year, 4) + "-" + pad(month, 2) + "-" + pad(day, 2)
        text += "T" + pad(secondOfDay / 3600, 2) + ":" + pad(secondOfDay / 60 % 60, 2) + ":" + pad(secondOfDay % 60, 2)
        return text + fraction(nanos) + "Z"
    }

    /// Parses `YYYY-MM-DDTHH:MM:SS[.f{1,9}](Z|±HH:MM)`; nil when malformed or out of range.
    static func timestamp(_ text: String) -> (seconds: Int64, nanos: Int32)? {
        var reader = Reader(Array(text.utf8))
        guard let year = reader.digits(4), reader.skip("-"), let month = reader.digits(2), reader.skip("-"),
            let day = reader.digits(2), reader.skip("T"), let hour = reader.digits(2), reader.skip(":"),
            let minute = reader.digits(2), reader.skip(":"), let second = reader.digits(2)
        else { return nil }
        var nanos: Int64 = 0
        if reader.skip(".") {
            guard let parsed = reader.fraction() else { return nil }
            nanos = parsed
        }
        var offset: Int64 = 0
        if !reader.skip("Z") {
            let sign: Int64
            if reader.skip("+") { sign = 1 } else if reader.skip("-") { sign = -1 } else { return nil }
            guard let offsetHours = reader.digits(2), reader.skip(":"), let offsetMinutes = reader.digits(2),
                offsetHours < 24, offsetMinutes < 60
            else { return nil }
            offset = sign * (offsetHours * 3600 + offsetMinutes * 60)
        }
        guard reader.isAtEnd, (1...12).contains(month), hour < 24, minute < 60, second < 60 else { return nil }
        let days = CivilCalendar.days(year: year, month: month, day: day)
        guard CivilCalendar.date(days: days) == (year, month, day) else { return nil }  // e.g. 02-30
        let seconds = days * 86_400 + hour * 3600 + minute * 60 + second - offset
        guard (minTimestampSeconds...maxTimestampSeconds).contains(seconds) else { return nil }
        return (seconds, Int32(nanos))
    }

    // MARK: Duration

    /// `[-]S[.fff|.ffffff|.fffffffff]s`; nil when out of range or the signs disagree.
    static func duration(seconds: Int64, nanos: Int32) -> String? {
        guard (-maxDurationSeconds...maxDurationSeconds).contains(seconds),
            (-999_999_999...999_999_999).contains(nanos),
            (seconds >= 0 && nanos >= 0) || (seconds <= 0 && nanos <= 0)
        else { return nil }
        let sign = seconds < 0 || nanos < 0 ? "-" : ""
        return sign + String(seconds.magnitude) + fraction(Int32(nanos.magnitude)) + "s"
    }

    /// Parses `[-]digits[.f{1,9}]s`; nil when malformed or out of range.
    static func duration(_ text: String) -> (seconds: Int64, nanos: Int32)? {
        var reader = Reader(Array(text.utf8))
        let negative = reader.skip("-")
        guard let seconds = reader.number(), seconds <= maxDurationSeconds else { return nil }
        var nanos: Int64 = 0
        if reader.skip(".") {
            guard let parsed = reader.fraction() else { return nil }
            nanos = parsed
        }
        guard reader.skip("s"), reader.isAtEnd else { return nil }
        return negative ? (-seconds, Int32(-nanos)) : (seconds, Int32(nanos))
    }

    // MARK: FieldMask

    /// `foo_bar.baz` → `fooBar.baz`; nil when the path would not come back the same (an empty
    /// path, or one holding the `,` that separates paths in JSON, included).
    static func jsonPath(_ path: String) -> String? {
        guard !path.isEmpty, !path.contains(",") else { return nil }
        var out = ""
        var upperNext = false
        for scalar in path.unicodeScalars {
            if scalar == "_" {
                guard !upperNext else { return nil }
                upperNext = true
            } else if upperNext {
                guard ("a"..."z").contains(scalar) else { return nil }
                out.unicodeScalars.append(Unicode.Scalar(scalar.value - 32)!)
                upperNext = false
            } else {
                guard !("A"..."Z").contains(scalar) else { return nil }
                out.unicodeScalars.append(scalar)
            }
        }
        return upperNext ? nil : out
    }

    /// `fooBar.baz` → `foo_bar.baz`; nil for a path holding `_`.
    static func protoPath(_ jsonPath: String) -> String? {
        var out = ""
        for scalar in jsonPath.unicodeScalars {
            if scalar == "_" { return nil }
            if ("A"..."Z").contains(scalar) {
                out += "_"
                out.unicodeScalars.append(Unicode.Scalar(scalar.value + 32)!)
            } else {
                out.unicodeScalars.append(scalar)
            }
        }
        return out
    }

    // MARK: Helpers

    /// `.fff`, `.ffffff` or `.fffffffff` for non-zero nanos (the fewest of those that is exact).
    private static func fraction(_ nanos: Int32) -> String {
        guard nanos != 0 else { return "" }
        if nanos % 1_000_000 == 0 { return "." + pad(Int64(nanos / 1_000_000), 3) }
        if nanos % 1000 == 0 { return "." + pad(Int64(nanos / 1000), 6) }
        return "." + pad(Int64(nanos), 9)
    }

    private static func pad(_ value: Int64, _ width: Int) -> String {
        let digits = String(value)
        return String(repeating: "0", count: max(0, width - digits.count)) + digits
    }

    /// A cursor over ASCII text.
    private struct Reader {
        let bytes: [UInt8]
        var index = 0

        init(_ bytes: [UInt8]) { self.bytes = bytes }

        var isAtEnd: Bool { index == bytes.count }

        mutating func skip(_ character: Unicode.Scalar) -> Bool {
            guard index < bytes.count, bytes[index] == UInt8(character.value) else { return false }
            index += 1
            return true
        }

        /// Exactly `count` decimal digits.
        mutating func digits(_ count: Int) -> Int64? {
            guard index + count <= bytes.count else { return nil }
            var value: Int64 = 0
            for byte in bytes[index..<index + count] {
                guard (48...57).contains(byte) else { return nil }
                value = value * 10 + Int64(byte - 48)
            }
            index += count
            return value
        }

        /// One or more decimal digits (at most 12, enough for any valid Duration).
        mutating func number() -> Int64? {
            let start = index
            var value: Int64 = 0
            while index < bytes.count, (48...57).contains(bytes[index]), index - start < 12 {
                value = value * 10 + Int64(bytes[index] - 48)
                index += 1
            }
            guard index > start, index == bytes.count || !(48...57).contains(bytes[index]) else { return nil }
            return value
        }

        /// 1 to 9 fractional digits, as nanoseconds.
        mutating func fraction() -> Int64? {
            let start = index
            var value: Int64 = 0
            while index < bytes.count, (48...57).contains(bytes[index]) {
                guard index - start < 9 else { return nil }
                value = value * 10 + Int64(bytes[index] - 48)
                index += 1
            }
            let count = index - start
            guard count > 0 else { return nil }
            for _ in count..<9 { value *= 10 }
            return value
        }
    }
}
