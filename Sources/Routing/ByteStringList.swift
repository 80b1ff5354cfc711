/// Short strings stored back to back as UTF-8, found by a request's bytes without hashing them
/// or making a `String`: a candidate is compared by length and first eight bytes (one integer),
/// then by the rest.
///
/// Byte equality is what URL matching needs for ASCII. Swift compares `String`s by Unicode
/// canonical equivalence instead (`"\u{212A}"`, the Kelvin sign, equals `"K"`), and the routing
/// rules were defined with `String` comparisons, so ``firstIndex(equivalentTo:in:)`` keeps that
/// comparison for the callers to use when either side has a byte outside ASCII.
struct ByteStringList: Sendable {
    private struct Stored: Sendable {
        /// The first eight bytes, little-endian, zero-padded (see ``ByteStringList/prefix(of:)``).
        var prefix: UInt64
        var length: Int
        /// Offset of the bytes in ``ByteStringList/bytes``.
        var offset: Int
    }

    private var stored: [Stored] = []
    private var bytes: [UInt8] = []
    /// The strings in the order appended.
    private(set) var texts: [String] = []
    /// Whether some string has a byte outside ASCII.
    private(set) var hasNonASCII = false

    /// An empty list.
    init() {}

    /// How many strings there are.
    var count: Int { stored.count }

    /// Adds `text` at index ``count``.
    mutating func append(_ text: String) {
        let utf8 = Array(text.utf8)
        let prefix = utf8.withUnsafeBufferPointer { Self.prefix(of: $0) }
        stored.append(Stored(prefix: prefix, length: utf8.count, offset: bytes.count))
        bytes.append(contentsOf: utf8)
        texts.append(text)
        if !utf8.allSatisfy({ $0 < 0x80 }) { hasNonASCII = true }
    }

    /// Whether the string at `index` is all ASCII.
    func isASCII(_ index: Int) -> Bool {
        let entry = stored[index]
        return bytes[entry.offset..<entry.offset + entry.length].allSatisfy { $0 < 0x80 }
    }

    /// The first string in `range` with exactly the bytes of `candidate`.
    @inline(__always)
    func firstIndex(of candidate: UnsafeBufferPointer<UInt8>, in range: Range<Int>) -> Int? {
        firstIndex(of: candidate, prefix: Self.prefix(of: candidate), in: range)
    }

    /// The first string in `range` with exactly the bytes of `candidate`, whose
    /// ``prefix(of:)`` the caller computed.
    @inline(__always)
    func firstIndex(of candidate: UnsafeBufferPointer<UInt8>, prefix: UInt64, in range: Range<Int>) -> Int? {
        let length = candidate.count
        for index in range {
            let entry = stored[index]
            guard entry.prefix == prefix, entry.length == length else { continue }
            if length <= 8 || restMatches(candidate, at: entry.offset) { return index }
        }
        return nil
    }

    /// The first string in ``texts`` with exactly the bytes of `candidate`.
    func firstIndex(of candidate: UnsafeBufferPointer<UInt8>) -> Int? {
        firstIndex(of: candidate, in: 0..<stored.count)
    }

    /// Whether the string at `index` has exactly the bytes of `candidate`.
    @inline(__always)
    func string(at index: Int, equals candidate: UnsafeBufferPointer<UInt8>) -> Bool {
        let entry = stored[index]
        guard entry.length == candidate.count, entry.prefix == Self.prefix(of: candidate) else { return false }
        return candidate.count <= 8 || restMatches(candidate, at: entry.offset)
    }

    /// The first string in `range` equal to `candidate` as a Swift `String` (canonical
    /// equivalence): the slow comparison, for text outside ASCII.
    func firstIndex(equivalentTo candidate: UnsafeBufferPointer<UInt8>, in range: Range<Int>) -> Int? {
        let text = String(decoding: candidate, as: UTF8.self)
        return range.first { texts[$0] == text }
    }

    private func restMatches(_ candidate: UnsafeBufferPointer<UInt8>, at offset: Int) -> Bool {
        var index = 8
        while index < candidate.count {
            if bytes[offset + index] != candidate[index] { return false }
            index += 1
        }
        return true
    }

    /// The first eight bytes of `bytes` as one integer, little-endian, zero-padded; with the
    /// length it tells apart every pair of strings of up to eight bytes.
    @inline(__always)
    static func prefix(of bytes: UnsafeBufferPointer<UInt8>) -> UInt64 {
        var value: UInt64 = 0
        var index = min(bytes.count, 8)
        while index > 0 {
            index -= 1
            value = value << 8 | UInt64(bytes[index])
        }
        return value
    }
}
