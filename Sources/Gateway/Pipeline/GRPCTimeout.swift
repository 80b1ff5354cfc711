/// The gRPC `grpc-timeout` header format: up to 8 digits and a unit (`H M S m u n`).
enum GRPCTimeout {
    /// Parses a `Grpc-Timeout` request header into nanoseconds; nil when malformed.
    static func parse(_ text: String) -> Int64? {
        guard let unit = text.last, text.count >= 2, text.count <= 9 else { return nil }
        guard let amount = Int64(text.dropLast()), amount >= 0 else { return nil }
        switch unit {
        case "H": return amount * 3_600_000_000_000
        case "M": return amount * 60_000_000_000
        case "S": return amount * 1_000_000_000
        case "m": return amount * 1_000_000
        case "u": return amount * 1_000
        case "n": return amount
        default: return nil
        }
    }
}
