import NIOHTTP1

extension HTTPRequestHead {
    /// The request target split at the first `?`: the raw path, and the raw query without `?`
    /// (nil when there is no `?`). Both stay percent-encoded.
    var pathAndQuery: (path: Substring, query: Substring?) {
        let target = uri[...]
        // By bytes: a character walk would read grapheme clusters of every request target.
        guard let mark = target.utf8.firstIndex(of: UInt8(ascii: "?")) else { return (target, nil) }
        return (target[..<mark], target[target.utf8.index(after: mark)...])
    }
}
