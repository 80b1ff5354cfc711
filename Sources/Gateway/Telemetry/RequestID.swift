import NIOHTTP1

/// `X-Request-Id`: the client's, when it is a sane token, else a new random 128-bit one (32 hex
/// digits). Forwarded to the backend as `x-request-id` metadata, returned on the response, and
/// written in the access log.
enum RequestID {
    /// The longest client-sent id kept.
    static let maxLength = 128

    /// The request's id: `headers`' `X-Request-Id` when it is 1–128 characters of
    /// `A–Z a–z 0–9 - _ . : / + = @`, else a new one.
    static func of(_ headers: HTTPHeaders) -> String {
        if let sent = headers.first(name: "x-request-id"), isAcceptable(sent) { return sent }
        return generate()
    }

    /// Whether a client-sent id is kept as it is (never a label or log injection: no quotes,
    /// spaces or control characters).
    static func isAcceptable(_ id: String) -> Bool {
        let bytes = id.utf8
        guard !bytes.isEmpty, bytes.count <= maxLength else { return false }
        return bytes.allSatisfy { byte in
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
                UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "_"), UInt8(ascii: "."),
                UInt8(ascii: ":"), UInt8(ascii: "/"), UInt8(ascii: "+"), UInt8(ascii: "="), UInt8(ascii: "@"):
                true
            default:
                false
            }
        }
    }

    /// A new id: 128 random bits as 32 lower-case hex digits.
    static func generate() -> String {
        var random = SystemRandomNumberGenerator()
        let high = random.next() as UInt64
        let low = random.next() as UInt64
        return String(unsafeUninitializedCapacity: 32) { out in
            let digits: StaticString = "0123456789abcdef"
            digits.withUTF8Buffer { hex in
                for i in 0..<16 {
                    out[i] = hex[Int((high >> (60 - 4 * UInt64(i))) & 0xF)]
                    out[16 + i] = hex[Int((low >> (60 - 4 * UInt64(i))) & 0xF)]
                }
            }
            return 32
        }
    }

    /// `metadata` with its `x-request-id` entries replaced by `id`.
    static func forward(_ id: String, in metadata: inout [(name: String, value: String)]) {
        metadata.removeAll { $0.name == "x-request-id" }
        metadata.append(("x-request-id", id))
    }
}
