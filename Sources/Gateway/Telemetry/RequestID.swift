import NIOHTTP1

/// `X-Request-Id`: the client's, when it is a sane token, else a new random 128-bit one (32 hex
/// digits). Forwarded to the backend as `x-request-id` metadata, returned on the response, and
/// written in the access log.
enum RequestID {
    /// The longest client-sent id kept.
    static let maxLength = 128

    /// The request's id: `headers`' `X-Request-Id` when it is 1–128 characters of
    /// `A–Z a–z 0–9 - _ . : / + = @`, else a new one drawn from `random`.
    static func of(_ headers: HTTPHeaders, random: inout Generator) -> String {
        if let sent = headers.first(name: "x-request-id"), isAcceptable(sent) { return sent }
        return generate(using: &random)
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
    static func generate(using random: inout Generator) -> String {
        let high = random.next()
        let low = random.next()
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

    /// xoshiro256**, seeded from the system's generator: ids must be unique, not secret, and the
    /// system's generator is a system call per draw. One per event loop.
    struct Generator: RandomNumberGenerator {
        private var state: (UInt64, UInt64, UInt64, UInt64)

        /// A generator seeded from `SystemRandomNumberGenerator`.
        init() {
            var system = SystemRandomNumberGenerator()
            state = (system.next(), system.next(), system.next(), system.next())
            if state == (0, 0, 0, 0) { state.0 = 1 }
        }

        /// The next 64 random bits.
        mutating func next() -> UInt64 {
            let result = rotate(state.1 &* 5, 7) &* 9
            let t = state.1 << 17
            state.2 ^= state.0
            state.3 ^= state.1
            state.1 ^= state.2
            state.0 ^= state.3
            state.2 ^= t
            state.3 = rotate(state.3, 45)
            return result
        }

        private func rotate(_ x: UInt64, _ k: UInt64) -> UInt64 { (x << k) | (x >> (64 - k)) }
    }

    /// `metadata` with its `x-request-id` entries replaced by `id`.
    static func forward(_ id: String, in metadata: inout [(name: String, value: String)]) {
        metadata.removeAll { $0.name == "x-request-id" }
        metadata.append(("x-request-id", id))
    }
}
