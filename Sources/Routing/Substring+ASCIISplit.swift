extension Substring {
    /// The pieces between occurrences of the ASCII byte `separator`, empty pieces included
    /// (`"a//b"` → `["a", "", "b"]`).
    ///
    /// Works on UTF-8 bytes, as URLs are delimited; `split(separator:)` on characters walks
    /// grapheme clusters, which was most of a route lookup's time.
    func splitASCII(_ separator: UInt8) -> [Substring] {
        var pieces: [Substring] = []
        var start = utf8.startIndex
        var index = start
        while index != utf8.endIndex {
            if utf8[index] == separator {
                pieces.append(self[start..<index])
                start = utf8.index(after: index)
            }
            index = utf8.index(after: index)
        }
        pieces.append(self[start..<utf8.endIndex])
        return pieces
    }

    /// The text after the last `byte` (an ASCII byte), and the text before it; nil without one.
    func splitAtLastASCII(_ byte: UInt8) -> (before: Substring, after: Substring)? {
        guard let index = utf8.lastIndex(of: byte) else { return nil }
        return (self[..<index], self[utf8.index(after: index)...])
    }
}
