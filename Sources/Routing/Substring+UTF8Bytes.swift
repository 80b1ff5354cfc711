extension Substring {
    /// Calls `body` with the UTF-8 bytes of the text, in place when the string is native (always
    /// on Linux), else from a copy.
    ///
    /// Request paths and queries are walked by byte offsets into this buffer: `String.Index`
    /// arithmetic and `Substring` slicing cost far more than the matching itself.
    func withUTF8Bytes<Result, Failure: Error>(
        _ body: (UnsafeBufferPointer<UInt8>) throws(Failure) -> Result
    ) throws(Failure) -> Result {
        // `Substring.withUTF8` is inlined and specialized; `utf8.withContiguousStorageIfAvailable`
        // went through generic `Slice` code that cost more than a whole trie walk.
        var text = self
        return try text.withUTF8 { bytes in Swift.Result { () throws(Failure) -> Result in try body(bytes) } }.get()
    }

    /// The text between byte offsets `range` of ``utf8`` (offsets found by ``withUTF8Bytes(_:)``
    /// at ASCII delimiters, so on character boundaries).
    func slice(bytes range: Range<Int>) -> Substring {
        let lower = utf8.index(utf8.startIndex, offsetBy: range.lowerBound)
        let upper = utf8.index(lower, offsetBy: range.count)
        return self[lower..<upper]
    }
}
