import NIOHTTP1

extension HTTPRequestHead {
    /// The request target split at the first `?`: the raw path, and the raw query without `?`
    /// (nil when there is no `?`). Both stay percent-encoded.
    var pathAndQuery: (path: Substring, query: Substring?) {
        let target = uri[...]
        guard let mark = target.firstIndex(of: "?") else { return (target, nil) }
        return (target[..<mark], target[target.index(after: mark)...])
    }
}
