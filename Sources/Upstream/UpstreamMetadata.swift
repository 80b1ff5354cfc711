/// Request metadata hygiene: what may be sent as an HTTP/2 header field on a gRPC request.
enum UpstreamMetadata {
    /// Names the client sets itself, and connection-specific fields HTTP/2 forbids (RFC 9113 §8.2.2).
    private static let excluded: Set<String> = [
        "content-type", "te", "user-agent", "grpc-timeout", "content-length",
        "connection", "keep-alive", "proxy-connection", "transfer-encoding", "upgrade", "host",
    ]

    /// Lower-cases names and drops fields that are invalid, reserved or connection-specific.
    /// - Parameter metadata: Fields as the caller gave them.
    /// - Returns: Fields safe to append after the request's pseudo-headers.
    static func validated(_ metadata: [(name: String, value: String)]) -> [(name: String, value: String)] {
        guard !metadata.isEmpty else { return [] }
        // Most metadata is already clean (the gateway's header policy makes it so): then the
        // same array, without a copy.
        if metadata.allSatisfy({ self.isClean($0.name, $0.value) }) { return metadata }
        var result: [(name: String, value: String)] = []
        result.reserveCapacity(metadata.count)
        for (name, value) in metadata {
            guard let name = self.lowercasedToken(name), !self.excluded.contains(name),
                let value = self.trimmedValue(value)
            else { continue }
            result.append((name, value))
        }
        return result
    }

    /// Whether a field needs no change: a lower-case token that is not excluded, and a value
    /// without CR, LF, NUL or surrounding blanks.
    private static func isClean(_ name: String, _ value: String) -> Bool {
        guard !name.isEmpty, name.utf8.allSatisfy({ self.isTokenByte($0) && !self.isUppercase($0) }),
            !self.excluded.contains(name)
        else { return false }
        let utf8 = value.utf8
        let isBlank: (UInt8) -> Bool = { $0 == 0x20 || $0 == 0x09 }
        if let first = utf8.first, isBlank(first) { return false }
        if let last = utf8.last, isBlank(last) { return false }
        return !utf8.contains { $0 == 0 || $0 == 0x0A || $0 == 0x0D }
    }

    /// The name in lower case if it is a non-empty RFC 9110 token, else `nil`.
    private static func lowercasedToken(_ name: String) -> String? {
        var hasUppercase = false
        for byte in name.utf8 {
            guard self.isTokenByte(byte) else { return nil }
            if self.isUppercase(byte) { hasUppercase = true }
        }
        guard !name.isEmpty else { return nil }
        // Most names arrive lower-case already (clients mostly send them so): no copy then.
        guard hasUppercase else { return name }
        return String(decoding: name.utf8.map { self.isUppercase($0) ? $0 | 0x20 : $0 }, as: UTF8.self)
    }

    private static func isUppercase(_ byte: UInt8) -> Bool {
        (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte)
    }

    /// RFC 9110 `tchar`.
    private static func isTokenByte(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
            UInt8(ascii: "0")...UInt8(ascii: "9"),
            UInt8(ascii: "!"), UInt8(ascii: "#"), UInt8(ascii: "$"), UInt8(ascii: "%"), UInt8(ascii: "&"),
            UInt8(ascii: "'"), UInt8(ascii: "*"), UInt8(ascii: "+"), UInt8(ascii: "-"), UInt8(ascii: "."),
            UInt8(ascii: "^"), UInt8(ascii: "_"), UInt8(ascii: "`"), UInt8(ascii: "|"), UInt8(ascii: "~"):
            return true
        default:
            return false
        }
    }

    /// The value without surrounding blanks, or `nil` if it contains CR, LF or NUL.
    private static func trimmedValue(_ value: String) -> String? {
        let utf8 = value.utf8
        guard !utf8.contains(where: { $0 == 0 || $0 == 0x0A || $0 == 0x0D }) else { return nil }
        let isBlank: (UInt8) -> Bool = { $0 == 0x20 || $0 == 0x09 }
        guard let first = utf8.firstIndex(where: { !isBlank($0) }) else { return "" }
        let last = utf8.lastIndex(where: { !isBlank($0) })!
        if first == utf8.startIndex && last == utf8.index(before: utf8.endIndex) { return value }
        return String(value[first...last])
    }
}
