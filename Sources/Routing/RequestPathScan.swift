import TextCoding

/// What one pass over a raw request path finds: where its segments end once trailing slashes
/// are dropped, its last `:`, whether it has escapes, and whether it is ASCII.
struct RequestPathScan {
    /// Offset just past the segments, trailing `/`s dropped.
    let contentEnd: Int
    /// Offset of the last `:` of the last segment (before any trailing `/` is dropped, so
    /// `/a/b:verb/` has none), or nil.
    let lastColon: Int?
    /// Whether the path has a `%XX` escape.
    let hasEscapes: Bool
    /// Whether every byte is ASCII.
    let isASCII: Bool

    /// Scans `bytes`, which start with `/`; nil when a `%` is not followed by two hex digits.
    init?(_ bytes: UnsafeBufferPointer<UInt8>) {
        var hasEscapes = false
        var isASCII = true
        var lastColon: Int?
        var index = 0
        while index < bytes.count {
            let byte = bytes[index]
            // Most bytes are none of `%`, `/`, `:` or non-ASCII: one or two comparisons.
            if byte < 0x80 && (byte >= 64 || Self.specialBytes & (1 &<< UInt64(byte)) == 0) {
                index += 1
                continue
            }
            if byte == UInt8(ascii: "%") {
                guard index + 2 < bytes.count, PercentEncoding.isHexDigit(bytes[index + 1]),
                    PercentEncoding.isHexDigit(bytes[index + 2])
                else { return nil }
                hasEscapes = true
                index += 3
                continue
            }
            if byte == UInt8(ascii: "/") {
                lastColon = nil
            } else if byte == UInt8(ascii: ":") {
                lastColon = index
            } else if byte >= 0x80 {
                isASCII = false
            }
            index += 1
        }
        self.contentEnd = Self.trimmingSlashes(bytes, end: bytes.count)
        self.lastColon = lastColon
        self.hasEscapes = hasEscapes
        self.isASCII = isASCII
    }

    /// `%` (37), `/` (47) and `:` (58) as bits of a 64-bit mask.
    private static let specialBytes: UInt64 = 1 << 37 | 1 << 47 | 1 << 58

    /// `end` moved back over trailing `/`s, but not past the leading one (offset 0).
    static func trimmingSlashes(_ bytes: UnsafeBufferPointer<UInt8>, end: Int) -> Int {
        var end = end
        while end > 1 && bytes[end - 1] == UInt8(ascii: "/") { end -= 1 }
        return end
    }
}
