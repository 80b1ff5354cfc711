/// Percent-encoding (`%XX`) in its two uses: URL paths and query strings, decoded per the
/// `google.api.HttpRule` rules, and gRPC's `grpc-message` values (PROTOCOL-HTTP2.md), encoded and
/// decoded.
public enum PercentEncoding {
    /// Whether every `%` in `text` starts a valid `%XX` escape.
    public static func isWellFormed(_ text: Substring) -> Bool {
        let utf8 = text.utf8
        var index = utf8.startIndex
        while let found = utf8[index...].firstIndex(of: UInt8(ascii: "%")) {
            let first = utf8.index(after: found)
            guard first != utf8.endIndex, isHexDigit(utf8[first]) else { return false }
            let second = utf8.index(after: first)
            guard second != utf8.endIndex, isHexDigit(utf8[second]) else { return false }
            index = utf8.index(after: second)
        }
        return true
    }

    /// Appends the decoded bytes of `text` to `output`.
    ///
    /// - Parameters:
    ///   - text: URL text, still percent-encoded.
    ///   - output: receives the decoded bytes.
    ///   - keepEncodedSlash: leave `%2F`/`%2f` as written (multi-segment path variables).
    ///   - plusAsSpace: decode `+` as a space (query strings).
    /// - Returns: false if an escape is malformed.
    public static func decode(
        _ text: Substring,
        into output: inout [UInt8],
        keepEncodedSlash: Bool,
        plusAsSpace: Bool
    ) -> Bool {
        let utf8 = text.utf8
        var index = utf8.startIndex
        while index != utf8.endIndex {
            let byte = utf8[index]
            if byte == UInt8(ascii: "%") {
                let first = utf8.index(after: index)
                guard first != utf8.endIndex, let high = utf8[first].hexValue else { return false }
                let second = utf8.index(after: first)
                guard second != utf8.endIndex, let low = utf8[second].hexValue else { return false }
                let decoded = high << 4 | low
                if keepEncodedSlash && decoded == UInt8(ascii: "/") {
                    output.append(contentsOf: utf8[index..<utf8.index(after: second)])
                } else {
                    output.append(decoded)
                }
                index = utf8.index(after: second)
            } else {
                output.append(plusAsSpace && byte == UInt8(ascii: "+") ? UInt8(ascii: " ") : byte)
                index = utf8.index(after: index)
            }
        }
        return true
    }

    /// Decodes `text`, returning nil if an escape is malformed or the result is not UTF-8.
    /// - Parameters:
    ///   - text: URL text, still percent-encoded.
    ///   - plusAsSpace: decode `+` as a space (query strings).
    public static func decodedString(_ text: Substring, plusAsSpace: Bool) -> String? {
        if !text.utf8.contains(UInt8(ascii: "%")) && !(plusAsSpace && text.utf8.contains(UInt8(ascii: "+"))) {
            return String(text)
        }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(text.utf8.count)
        guard decode(text, into: &bytes, keepEncodedSlash: false, plusAsSpace: plusAsSpace) else { return nil }
        return bytes.withUnsafeBufferPointer(utf8String)
    }

    /// Decodes URL text given as UTF-8 bytes, without allocating for the decoded bytes (they go
    /// to a temporary buffer; the `String` made from them allocates only past 15 bytes).
    ///
    /// - Parameters:
    ///   - bytes: URL text, still percent-encoded.
    ///   - keepEncodedSlash: leave `%2F`/`%2f` as written (multi-segment path variables).
    ///   - plusAsSpace: decode `+` as a space (query strings).
    /// - Returns: the text, or nil if an escape is malformed or the result is not UTF-8.
    public static func decodedString(
        _ bytes: UnsafeBufferPointer<UInt8>,
        keepEncodedSlash: Bool,
        plusAsSpace: Bool
    ) -> String? {
        guard !bytes.isEmpty else { return "" }
        return withUnsafeTemporaryAllocation(of: UInt8.self, capacity: bytes.count) { output -> String? in
            var count = 0
            var index = 0
            while index < bytes.count {
                let byte = bytes[index]
                if byte == UInt8(ascii: "%") {
                    guard index + 2 < bytes.count, let high = bytes[index + 1].hexValue,
                        let low = bytes[index + 2].hexValue
                    else { return nil }
                    let decoded = high << 4 | low
                    if keepEncodedSlash && decoded == UInt8(ascii: "/") {
                        output[count] = byte
                        output[count + 1] = bytes[index + 1]
                        output[count + 2] = bytes[index + 2]
                        count += 3
                    } else {
                        output[count] = decoded
                        count += 1
                    }
                    index += 3
                } else {
                    output[count] = plusAsSpace && byte == UInt8(ascii: "+") ? UInt8(ascii: " ") : byte
                    count += 1
                    index += 1
                }
            }
            return utf8String(UnsafeBufferPointer(rebasing: output[..<count]))
        }
    }

    /// `bytes` as a `String`, nil when they are not UTF-8: what `String(validating:as:)` returns,
    /// 5–10 times faster for ASCII (nothing to validate), the usual case in URLs.
    private static func utf8String(_ bytes: UnsafeBufferPointer<UInt8>) -> String? {
        var combined: UInt8 = 0
        for byte in bytes { combined |= byte }
        if combined < 0x80 { return String(decoding: bytes, as: UTF8.self) }
        return String(validating: bytes, as: UTF8.self)
    }

    /// Appends the RFC 3986 normal form of `bytes` to `output`: what ``normalizedLiteral(_:)``
    /// returns, for text given as UTF-8 bytes (a whole path at once: `/` is kept and no escape
    /// decodes to one).
    public static func appendNormalizedLiteral(_ bytes: UnsafeBufferPointer<UInt8>, to output: inout [UInt8]) {
        appendRewritingEscapes(bytes, to: &output, .normalize)
    }

    /// The RFC 3986 normal form of a path segment, used to compare literals: escapes of
    /// unreserved characters are decoded and other escapes get upper-case hex digits.
    ///
    /// Returns `text` unchanged (no allocation) when it has no `%`.
    /// - Parameter text: One path segment, still percent-encoded.
    public static func normalizedLiteral(_ text: Substring) -> Substring {
        guard text.utf8.contains(UInt8(ascii: "%")) else { return text }
        var text = text
        var bytes: [UInt8] = []
        bytes.reserveCapacity(text.utf8.count)
        text.withUTF8 { appendRewritingEscapes($0, to: &bytes, .normalize) }
        return Substring(String(decoding: bytes, as: UTF8.self))
    }

    /// What ``appendRewritingEscapes(_:to:_:)`` makes of a well-formed escape.
    private enum EscapeRule {
        /// The RFC 3986 normal form: an unreserved character decoded, anything else kept as an
        /// escape with upper-case hex digits.
        case normalize
        /// The byte it encodes.
        case decode
    }

    /// Appends `bytes` to `output`, each well-formed `%XX` escape rewritten by `rule` and every
    /// other byte (a malformed escape's too) as it is: the lenient walk of literal
    /// normalization and of `grpc-message` decoding.
    @inline(__always)
    private static func appendRewritingEscapes(
        _ bytes: UnsafeBufferPointer<UInt8>,
        to output: inout [UInt8],
        _ rule: EscapeRule
    ) {
        var index = 0
        while index < bytes.count {
            let byte = bytes[index]
            if byte == UInt8(ascii: "%"), index + 2 < bytes.count, let high = bytes[index + 1].hexValue,
                let low = bytes[index + 2].hexValue
            {
                let decoded = high << 4 | low
                if rule == .decode || isUnreserved(decoded) {
                    output.append(decoded)
                } else {
                    output.append(UInt8(ascii: "%"))
                    output.append(bytes[index + 1].upperHex)
                    output.append(bytes[index + 2].upperHex)
                }
                index += 3
                continue
            }
            output.append(byte)
            index += 1
        }
    }
}

extension PercentEncoding {
    /// Whether `byte` is an ASCII hex digit.
    public static func isHexDigit(_ byte: UInt8) -> Bool {
        byte.hexValue != nil
    }

    /// Whether `byte` is RFC 3986 unreserved: ALPHA / DIGIT / "-" / "." / "_" / "~".
    public static func isUnreserved(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
            UInt8(ascii: "0")...UInt8(ascii: "9"),
            UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "~"):
            true
        default:
            false
        }
    }
}

extension PercentEncoding {
    /// gRPC's `grpc-message` encoding: printable ASCII except `%` as is, every other byte of the
    /// UTF-8 text as `%XX`.
    /// - Parameter text: The status message.
    public static func grpcMessageEncoded(_ text: String) -> String {
        let utf8 = text.utf8
        if utf8.allSatisfy({ $0 >= 0x20 && $0 < 0x7F && $0 != UInt8(ascii: "%") }) { return text }
        let hex: StaticString = "0123456789ABCDEF"
        var out: [UInt8] = []
        out.reserveCapacity(utf8.count * 3)
        hex.withUTF8Buffer { hex in
            for byte in utf8 {
                if byte >= 0x20 && byte < 0x7F && byte != UInt8(ascii: "%") {
                    out.append(byte)
                } else {
                    out.append(UInt8(ascii: "%"))
                    out.append(hex[Int(byte >> 4)])
                    out.append(hex[Int(byte & 15)])
                }
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// Decodes a `grpc-message` value. Unlike URL text, a malformed escape is kept as written and
    /// bytes that are not UTF-8 become U+FFFD, so a bad message never fails a call.
    /// - Parameter value: The header value.
    public static func grpcMessageDecoded(_ value: String) -> String {
        guard value.utf8.contains(UInt8(ascii: "%")) else { return value }
        var value = value
        var out: [UInt8] = []
        out.reserveCapacity(value.utf8.count)
        value.withUTF8 { appendRewritingEscapes($0, to: &out, .decode) }
        return String(decoding: out, as: UTF8.self)
    }
}

extension UInt8 {
    fileprivate var hexValue: UInt8? {
        switch self {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return self - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return self - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return self - UInt8(ascii: "A") + 10
        default: return nil
        }
    }

    fileprivate var upperHex: UInt8 {
        (UInt8(ascii: "a")...UInt8(ascii: "f")).contains(self) ? self - 32 : self
    }
}
