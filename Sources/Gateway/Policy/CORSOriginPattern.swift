/// One entry of `cors.allowOrigins` other than `*`, and whether an `Origin` header matches it.
///
/// | pattern | matches | does not match |
/// |---|---|---|
/// | `https://app.example.com` | that origin (`:443` in the pattern is the same) | `http://app.example.com`, `https://app.example.com:8443` |
/// | `https://*.example.com` | `https://a.example.com`, `https://a.b.example.com` | `https://example.com`, `https://a.example.com:8443` |
/// | `http://localhost:*` | `http://localhost`, `http://localhost:5173` | `https://localhost:5173`, `http://localhost.evil.com` |
///
/// Schemes and hosts compare ASCII case-insensitively; an origin has no path, so a pattern with
/// one (even a trailing `/`) is a load error, and so is `null` (the origin of sandboxed frames
/// and `file:` pages, which any site can produce).
public struct CORSOriginPattern: Sendable, Hashable {
    /// The host part.
    enum Host: Sendable, Hashable {
        /// This host exactly (lower-cased).
        case exact(String)
        /// Any host ending in this suffix (`.example.com`, lower-cased) after at least one label.
        case subdomains(String)
    }

    /// The port part.
    enum Port: Sendable, Hashable {
        /// No port in the origin (the scheme's default).
        case none
        /// This port exactly.
        case exact(String)
        /// Any port, or none (`:*`).
        case any
    }

    /// What is wrong with a pattern, in one sentence.
    public struct Problem: Error, Sendable, Equatable {
        /// The sentence.
        public let message: String
    }

    /// `https://` (lower-cased, with the separator).
    let schemePrefix: String
    /// The host part.
    let host: Host
    /// The port part.
    let port: Port

    /// Parses `text`, or says why it is no origin pattern.
    static func parse(_ text: String) -> Result<CORSOriginPattern, Problem> {
        func problem(_ message: String) -> Result<CORSOriginPattern, Problem> {
            .failure(Problem(message: "\"\(text)\": \(message)"))
        }
        if text.lowercased() == "null" {
            return problem("the null origin (sandboxed frames, file: pages) cannot be allowed: any site can send it")
        }
        guard let separator = text.firstRange(of: "://") else {
            return problem("expected scheme://host[:port], such as https://app.example.com")
        }
        let scheme = text[..<separator.lowerBound].lowercased()
        guard let first = scheme.utf8.first, (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(first),
            scheme.utf8.allSatisfy({ isTokenByte($0) && $0 != UInt8(ascii: "*") })
        else { return problem("\"\(scheme)\" is not a URL scheme") }
        var authority = text[separator.upperBound...].lowercased()[...]
        if authority.contains(where: { "/?#@".contains($0) }) {
            return problem("an origin is scheme://host[:port] only: no path (not even a trailing /), query or user")
        }
        var port = Port.none
        if let colon = Self.portSeparator(authority.utf8) {
            let digits = authority[authority.index(after: colon)...]
            authority = authority[..<colon]
            if digits == "*" {
                port = .any
            } else if let number = Int(digits), (1...65535).contains(number), digits.first != "+" {
                let isDefault = (scheme == "https" && number == 443) || (scheme == "http" && number == 80)
                port = isDefault ? .none : .exact(String(number))
            } else {
                return problem("\"\(digits)\" is not a port (1-65535, or * for any)")
            }
        }
        let host: Host
        if authority.hasPrefix("*.") {
            host = .subdomains(String(authority.dropFirst()))
        } else {
            host = .exact(String(authority))
        }
        let hostName: Substring =
            switch host {
            case .exact(let exact): exact[...]
            case .subdomains(let suffix): suffix.dropFirst()
            }
        if hostName.isEmpty { return problem("the host is missing") }
        if hostName.contains("*") {
            return problem("* may stand only for the first labels of the host (https://*.example.com) or the port (:*)")
        }
        return .success(CORSOriginPattern(schemePrefix: scheme + "://", host: host, port: port))
    }

    /// Whether the `Origin` header value `origin` matches.
    func matches(_ origin: String) -> Bool {
        let bytes = origin.utf8
        guard bytes.count > schemePrefix.utf8.count,
            Self.equalIgnoringCase(bytes.prefix(schemePrefix.utf8.count), schemePrefix.utf8)
        else { return false }
        var authority = bytes.dropFirst(schemePrefix.utf8.count)
        var originPort: Substring.UTF8View?
        if let colon = Self.portSeparator(authority) {
            originPort = authority[authority.index(after: colon)...]
            authority = authority[..<colon]
            guard !originPort!.isEmpty, originPort!.allSatisfy({ (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) })
            else { return false }
        }
        switch port {
        case .none: if originPort != nil { return false }
        case .any: break
        case .exact(let wanted): if originPort.map({ !$0.elementsEqual(wanted.utf8) }) ?? true { return false }
        }
        switch host {
        case .exact(let name):
            return Self.equalIgnoringCase(authority, name.utf8)
        case .subdomains(let suffix):
            let labels = authority.count - suffix.utf8.count
            return labels > 0 && authority.first != UInt8(ascii: ".")
                && Self.equalIgnoringCase(authority.dropFirst(labels), suffix.utf8)
        }
    }

    /// The `:` before an authority's port: the last one, unless an IPv6 literal's `]` follows it.
    private static func portSeparator<Bytes: BidirectionalCollection<UInt8>>(_ authority: Bytes) -> Bytes.Index? {
        guard let colon = authority.lastIndex(of: UInt8(ascii: ":")) else { return nil }
        return authority[colon...].contains(UInt8(ascii: "]")) ? nil : colon
    }

    private static func equalIgnoringCase<A: Collection<UInt8>, B: Collection<UInt8>>(_ a: A, _ b: B) -> Bool {
        a.count == b.count && zip(a, b).allSatisfy { lowered($0) == lowered($1) }
    }

    private static func lowered(_ byte: UInt8) -> UInt8 {
        (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte) ? byte | 0x20 : byte
    }

    /// An RFC 9110 `tchar` (header and method names, URL schemes' letters).
    static func isTokenByte(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
            UInt8(ascii: "0")...UInt8(ascii: "9"):
            true
        default: "!#$%&'*+-.^_`|~".utf8.contains(byte)
        }
    }
}
