/// The gRPC `grpc-timeout` header value: `TimeoutValue TimeoutUnit`, at most 8 digits and one of
/// the units `H M S m u n` (gRPC's PROTOCOL-HTTP2.md). Parsed from clients' `Grpc-Timeout`
/// headers, written on every upstream call that has a deadline.
public enum GRPCTimeout {
    private static let units: [(nanoseconds: Int64, unit: UInt8)] = [
        (3_600_000_000_000, UInt8(ascii: "H")), (60_000_000_000, UInt8(ascii: "M")), (1_000_000_000, UInt8(ascii: "S")),
        (1_000_000, UInt8(ascii: "m")), (1_000, UInt8(ascii: "u")), (1, UInt8(ascii: "n")),
    ]
    private static let maxValue: Int64 = 99_999_999

    /// Parses a `grpc-timeout` value into nanoseconds.
    /// - Parameter text: The header value, e.g. `250m` or `1S`.
    /// - Returns: The timeout, or nil when the value is malformed (no digits, more than 8 digits,
    ///   an unknown unit, anything else in it).
    public static func parse(_ text: String) -> Int64? {
        let utf8 = text.utf8
        guard utf8.count >= 2, utf8.count <= 9, let unit = utf8.last else { return nil }
        guard let size = units.first(where: { $0.unit == unit })?.nanoseconds else { return nil }
        var amount: Int64 = 0
        for byte in utf8.dropLast() {
            guard byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") else { return nil }
            amount = amount * 10 + Int64(byte - UInt8(ascii: "0"))
        }
        // 8 digits of hours is about 11,000 years: it fits in Int64 nanoseconds only when clamped.
        let (product, overflow) = amount.multipliedReportingOverflow(by: size)
        return overflow ? .max : product
    }

    /// Encodes a timeout: the coarsest unit that represents it exactly, else the finest unit that
    /// fits in 8 digits, rounded up (so the server never sees a shorter deadline than ours).
    /// - Parameter nanoseconds: The timeout; values below 1 ns are sent as `1n`.
    public static func encode(nanoseconds: Int64) -> String {
        let nanoseconds = max(nanoseconds, 1)
        for (size, unit) in units where nanoseconds % size == 0 && nanoseconds / size <= maxValue {
            return "\(nanoseconds / size)\(Character(Unicode.Scalar(unit)))"
        }
        for (size, unit) in units.reversed() {
            let value = nanoseconds / size + (nanoseconds % size == 0 ? 0 : 1)
            if value <= maxValue { return "\(value)\(Character(Unicode.Scalar(unit)))" }
        }
        return "\(maxValue)H"
    }
}
