/// The segments of a request path, walked in place: `bytes[start..<end]` split on `/`, as byte
/// ranges, with no array of pieces made.
///
/// A segment is named by the offset of its first byte (its *position*). Positions after `end`
/// mean "no more segments", so `start == end` is zero segments (the path `/`), and no segment
/// starts at `end` because the text never ends with `/` (trailing slashes are trimmed first).
struct PathSegments {
    /// The buffer the segments are in.
    let bytes: UnsafeBufferPointer<UInt8>
    /// Offset of the first segment's first byte.
    let start: Int
    /// Offset just past the last segment.
    let end: Int
    /// Whether every byte is ASCII (so literals compare by bytes alone).
    let isASCII: Bool

    /// The position of the first segment; past ``end`` when there is none.
    var firstPosition: Int { start == end ? end + 1 : start }

    /// Whether `position` is past the last segment.
    @inline(__always)
    func isPastEnd(_ position: Int) -> Bool { position > end }

    /// The offset just past the segment at `position` (its `/`, or ``end``).
    @inline(__always)
    func segmentEnd(from position: Int) -> Int {
        var index = position
        while index < end && bytes[index] != UInt8(ascii: "/") { index += 1 }
        return index
    }

    /// The offset just past the segment at `position`, and the segment's first eight bytes as
    /// ``ByteStringList/prefix(of:)`` packs them: one pass for both.
    @inline(__always)
    func segmentEndAndPrefix(from position: Int) -> (end: Int, prefix: UInt64) {
        var index = position
        var prefix: UInt64 = 0
        while index < end {
            let byte = bytes[index]
            if byte == UInt8(ascii: "/") { break }
            let shift = index &- position
            if shift < 8 { prefix |= UInt64(byte) &<< UInt64(8 &* shift) }
            index += 1
        }
        return (index, prefix)
    }

    /// The bytes of `range`.
    @inline(__always)
    func slice(_ range: Range<Int>) -> UnsafeBufferPointer<UInt8> {
        UnsafeBufferPointer(rebasing: bytes[range])
    }
}
