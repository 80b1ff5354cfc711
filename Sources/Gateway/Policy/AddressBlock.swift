/// An IP address or a CIDR block (`10.0.0.0/8`, `::1`, `2001:db8::/32`), as `trustedProxies:`
/// names them. IPv4 addresses are held as IPv4-mapped IPv6 (`::ffff:a.b.c.d`), so one
/// comparison serves both families.
struct AddressBlock: Sendable, Equatable {
    /// The block's first 16 bytes.
    let address: [UInt8]
    /// How many leading bits an address must share with ``address``.
    let prefixLength: Int

    /// Parses `a.b.c.d`, `a.b.c.d/n`, an IPv6 address, or `ipv6/n`; nil when malformed.
    init?(_ text: String) {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count <= 2, let address = Self.bytes(of: parts[0]) else { return nil }
        let isIPv4 = !parts[0].contains(":")
        let maximum = isIPv4 ? 32 : 128
        var length = maximum
        if parts.count == 2 {
            guard let n = Int(parts[1]), (0...maximum).contains(n) else { return nil }
            length = n
        }
        self.address = address
        self.prefixLength = isIPv4 ? length + 96 : length
    }

    /// Whether `address` (16 bytes, from ``bytes(of:)``) lies in the block.
    func contains(_ other: [UInt8]) -> Bool {
        var bits = prefixLength
        for index in 0..<16 where bits > 0 {
            let mask: UInt8 = bits >= 8 ? 0xFF : ~(0xFF >> UInt8(bits))
            if address[index] & mask != other[index] & mask { return false }
            bits -= 8
        }
        return true
    }

    /// The 16 bytes of an IPv4 (mapped) or IPv6 address, or nil. Parsed here rather than by
    /// `inet_pton`, whose `in_addr` types differ between the platform modules of the builds.
    static func bytes(of text: some StringProtocol) -> [UInt8]? {
        var text = Substring(text)
        // [::1] as URLs and some X-Forwarded-For writers put it.
        if text.hasPrefix("["), text.hasSuffix("]") { text = text.dropFirst().dropLast() }
        if !text.contains(":") {
            return ipv4(text).map { [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xFF, 0xFF] + $0 }
        }
        return ipv6(text)
    }

    private static func ipv4(_ text: Substring) -> [UInt8]? {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 4 else { return nil }
        var bytes: [UInt8] = []
        for part in parts {
            guard (1...3).contains(part.count), part.allSatisfy(\.isASCII), let value = UInt8(part) else { return nil }
            bytes.append(value)
        }
        return bytes
    }

    private static func ipv6(_ text: Substring) -> [UInt8]? {
        let halves = text.split(separator: "::", maxSplits: 1, omittingEmptySubsequences: false)
            .map(String.init)
        guard halves.count <= 2 else { return nil }
        func groups(_ part: String) -> [UInt8]? {
            guard !part.isEmpty else { return [] }
            var bytes: [UInt8] = []
            let pieces = part.split(separator: ":", omittingEmptySubsequences: false)
            for (index, piece) in pieces.enumerated() {
                if index == pieces.count - 1, piece.contains(".") {
                    guard let v4 = ipv4(piece) else { return nil }
                    bytes += v4
                } else {
                    guard (1...4).contains(piece.count), let value = UInt16(piece, radix: 16) else { return nil }
                    bytes += [UInt8(value >> 8), UInt8(value & 0xFF)]
                }
            }
            return bytes
        }
        guard let head = groups(halves[0]) else { return nil }
        if halves.count == 1 { return head.count == 16 ? head : nil }
        guard let tail = groups(halves[1]), head.count + tail.count <= 14 else { return nil }
        return head + Array(repeating: 0, count: 16 - head.count - tail.count) + tail
    }
}

/// Who the client is when proxies stand in front: the peer itself, unless it is a trusted proxy;
/// then `X-Forwarded-For` is read right to left, past every trusted proxy, and the first address
/// that is not one is the client (what Envoy's `xff_num_trusted_hops` and nginx's `real_ip`
/// recursive mode do). Addresses a client wrote further left are never trusted.
struct ClientAddressResolver: Sendable {
    /// The trusted proxies.
    let trusted: [AddressBlock]

    /// The client's address for a request from `peer` carrying these `X-Forwarded-For` values.
    func client(peer: String?, forwardedFor: [String]) -> String? {
        guard !trusted.isEmpty, let peer, isTrusted(peer) else { return peer }
        let hops = forwardedFor.flatMap { $0.split(separator: ",") }.map { String($0).trimmingSpaces() }
        var client = peer
        for hop in hops.reversed() {
            guard AddressBlock.bytes(of: hop) != nil else { break }
            client = hop
            if !isTrusted(hop) { break }
        }
        return client
    }

    private func isTrusted(_ address: String) -> Bool {
        guard let bytes = AddressBlock.bytes(of: address) else { return false }
        return trusted.contains { $0.contains(bytes) }
    }
}
