public import NIOCore
import NIOPosix

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Turns a backend's host name into its current addresses, for clusters with a
/// ``ClusterConfiguration/dnsRefreshInterval`` (each address becomes an endpoint, re-resolved
/// every interval).
public protocol HostResolver: Sendable {
    /// The addresses `host` resolves to now, with `port`, in a stable order; the future fails
    /// when the name cannot be resolved. Completes on `eventLoop`.
    func addresses(of host: String, port: Int, on eventLoop: any EventLoop) -> EventLoopFuture<[SocketAddress]>
}

/// The system resolver (`getaddrinfo`: `/etc/hosts`, then DNS per `/etc/resolv.conf`), run on
/// NIO's blocking-I/O thread pool so no event loop waits for it.
public struct SystemHostResolver: HostResolver {
    /// Creates the resolver.
    public init() {}

    /// Looks `host` up off the event loops; the future completes on `eventLoop`.
    public func addresses(of host: String, port: Int, on eventLoop: any EventLoop) -> EventLoopFuture<[SocketAddress]> {
        NIOThreadPool.singleton.runIfActive(eventLoop: eventLoop) {
            try Self.lookUp(host, port: port)
        }
    }

    /// Blocking `getaddrinfo` for TCP addresses of `host`, duplicates removed, IPv4 first.
    public static func lookUp(_ host: String, port: Int) throws -> [SocketAddress] {
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        #if canImport(Darwin)
        hints.ai_socktype = SOCK_STREAM
        #else
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        #endif
        var list: UnsafeMutablePointer<addrinfo>?
        let result = getaddrinfo(host, String(port), &hints, &list)
        guard result == 0, let first = list else {
            throw HostResolutionError(host: host, reason: String(cString: gai_strerror(result)))
        }
        defer { freeaddrinfo(first) }
        var addresses: [SocketAddress] = []
        var entry: UnsafeMutablePointer<addrinfo>? = first
        while let info = entry?.pointee {
            entry = info.ai_next
            guard let socketAddress = info.ai_addr else { continue }
            let address: SocketAddress
            switch info.ai_family {
            case AF_INET:
                let ipv4 = UnsafeRawPointer(socketAddress).load(as: sockaddr_in.self)
                address = SocketAddress(ipv4, host: host)
            case AF_INET6:
                let ipv6 = UnsafeRawPointer(socketAddress).load(as: sockaddr_in6.self)
                address = SocketAddress(ipv6, host: host)
            default:
                continue
            }
            if !addresses.contains(address) { addresses.append(address) }
        }
        guard !addresses.isEmpty else { throw HostResolutionError(host: host, reason: "no IPv4 or IPv6 address") }
        return addresses.sorted {
            ($0.protocol == .inet ? 0 : 1, $0.ipAddress ?? "") < ($1.protocol == .inet ? 0 : 1, $1.ipAddress ?? "")
        }
    }
}

/// A host name that could not be resolved.
public struct HostResolutionError: Error, CustomStringConvertible {
    /// The name.
    public let host: String
    /// The resolver's reason.
    public let reason: String

    /// A one-line account, for logs and error bodies.
    public var description: String { "cannot resolve \(host): \(reason)" }
}
