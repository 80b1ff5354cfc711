// How statuses are read off the wire: trailers, HTTP status codes, HTTP/2 error codes.

extension GRPCStatus {
    /// Reads the status from a trailer block (or a trailers-only response's single header block).
    ///
    /// A missing or non-numeric `grpc-status` yields `UNKNOWN`; `grpc-message` is percent-decoded
    /// and `grpc-status-details-bin` base64-decoded (padding optional) as the gRPC spec requires.
    /// - Parameter trailers: The header fields, names in lower case.
    init(trailers: [(name: String, value: String)]) {
        var code: Code?
        var message = ""
        var details: [UInt8]?
        for (name, value) in trailers {
            switch name {
            case "grpc-status":
                code = Int(value).map(Code.init(rawValue:)) ?? .unknown
            case "grpc-message":
                message = Self.percentDecoded(value)
            case "grpc-status-details-bin":
                details = Base64.decode(value)
            default:
                continue
            }
        }
        if let code {
            self.init(code: code, message: message, details: details)
        } else {
            self.init(code: .unknown, message: message.isEmpty ? "response is missing grpc-status" : message)
        }
    }

    /// Decodes `%XX` escapes in a `grpc-message` value. Malformed escapes are kept literally and the
    /// result is decoded as UTF-8 with replacement, so a bad message never fails the call.
    static func percentDecoded(_ value: String) -> String {
        let utf8 = Array(value.utf8)
        guard utf8.contains(UInt8(ascii: "%")) else { return value }
        var out = [UInt8]()
        out.reserveCapacity(utf8.count)
        var index = 0
        while index < utf8.count {
            let byte = utf8[index]
            if byte == UInt8(ascii: "%"), index + 2 < utf8.count,
                let high = hexValue(utf8[index + 1]), let low = hexValue(utf8[index + 2])
            {
                out.append(high << 4 | low)
                index += 3
            } else {
                out.append(byte)
                index += 1
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}

extension GRPCStatus.Code {
    /// Maps a non-200 HTTP `:status` to a gRPC code per gRPC's `http-grpc-status-mapping.md`.
    /// - Parameter httpStatus: The response's `:status`.
    init(httpStatus: Int) {
        switch httpStatus {
        case 400: self = .internalError
        case 401: self = .unauthenticated
        case 403: self = .permissionDenied
        case 404: self = .unimplemented
        case 429, 502, 503, 504: self = .unavailable
        default: self = .unknown
        }
    }

    /// Maps an HTTP/2 `RST_STREAM`/`GOAWAY` error code to a gRPC code per gRPC's `PROTOCOL-HTTP2.md`.
    /// - Parameter http2ErrorCode: The HTTP/2 error code (RFC 9113 §7).
    init(http2ErrorCode: UInt32) {
        switch http2ErrorCode {
        case 0x7: self = .unavailable  // REFUSED_STREAM: not processed, safe to retry
        case 0x8: self = .cancelled  // CANCEL
        case 0xb: self = .resourceExhausted  // ENHANCE_YOUR_CALM
        case 0xc: self = .permissionDenied  // INADEQUATE_SECURITY
        default: self = .internalError  // NO_ERROR before trailers, PROTOCOL_ERROR, INTERNAL_ERROR, ...
        }
    }
}

/// Base64 decoding for `-bin` metadata: standard or URL-safe alphabet, padding optional.
enum Base64 {
    /// Decodes `text`; returns `nil` when it contains a character outside either alphabet.
    static func decode(_ text: String) -> [UInt8]? {
        var out = [UInt8]()
        out.reserveCapacity(text.utf8.count * 3 / 4)
        var accumulator: UInt32 = 0
        var bits = 0
        for byte in text.utf8 {
            let value: UInt32
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"): value = UInt32(byte - UInt8(ascii: "A"))
            case UInt8(ascii: "a")...UInt8(ascii: "z"): value = UInt32(byte - UInt8(ascii: "a")) + 26
            case UInt8(ascii: "0")...UInt8(ascii: "9"): value = UInt32(byte - UInt8(ascii: "0")) + 52
            case UInt8(ascii: "+"), UInt8(ascii: "-"): value = 62
            case UInt8(ascii: "/"), UInt8(ascii: "_"): value = 63
            case UInt8(ascii: "="): continue
            default: return nil
            }
            accumulator = accumulator << 6 | value
            bits += 6
            if bits >= 8 {
                bits -= 8
                out.append(UInt8(truncatingIfNeeded: accumulator >> UInt32(bits)))
            }
        }
        return out
    }
}

/// The `grpc-timeout` header value (`TimeoutValue TimeoutUnit`, at most 8 digits).
enum GRPCTimeout {
    private static let units: [(nanoseconds: Int64, unit: Character)] = [
        (3_600_000_000_000, "H"), (60_000_000_000, "M"), (1_000_000_000, "S"),
        (1_000_000, "m"), (1_000, "u"), (1, "n"),
    ]
    private static let maxValue: Int64 = 99_999_999

    /// Encodes a timeout: the coarsest unit that represents it exactly, else the finest unit that
    /// fits in 8 digits, rounded up (so the server never sees a shorter deadline than ours).
    /// - Parameter nanoseconds: The timeout; values below 1 ns are sent as `1n`.
    static func encode(nanoseconds: Int64) -> String {
        let nanoseconds = max(nanoseconds, 1)
        for (size, unit) in units where nanoseconds % size == 0 && nanoseconds / size <= maxValue {
            return "\(nanoseconds / size)\(unit)"
        }
        for (size, unit) in units.reversed() {
            let value = nanoseconds / size + (nanoseconds % size == 0 ? 0 : 1)
            if value <= maxValue { return "\(value)\(unit)" }
        }
        return "\(maxValue)H"
    }
}
