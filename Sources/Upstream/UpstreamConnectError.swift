import NIOCore
import NIOPosix

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// A connect that failed before the backend's HTTP/2 preface (refused, timed out, not resolved,
/// closed or silent after connecting): the call never reached the backend.
struct UpstreamConnectError: Error {
    /// Why, for the call's `UNAVAILABLE` status.
    let reason: String
}

extension UpstreamConnectError {
    /// Says once what happened when NIO failed to connect to `target`, e.g.
    /// `cannot connect to 127.0.0.1:50051: connection refused`.
    /// - Parameters:
    ///   - target: The backend.
    ///   - error: The error of the connect: ``NIOConnectionError`` (a host name or address
    ///     connected to by name), `IOError` (one address), `ChannelError.connectTimeout`, ...
    init(target: UpstreamTarget, error: any Error) {
        self.reason = "cannot connect to \(target): \(Self.describe(error))"
    }

    /// What `error` means for a connect, in lower case, without NIO's wrapping.
    static func describe(_ error: any Error) -> String {
        switch error {
        case let error as NIOConnectionError:
            if let lookup = error.dnsAError ?? error.dnsAAAAError {
                return Self.describe(lookup)
            }
            return Self.describe(attempts: error.connectionErrors.map { ($0.target, $0.error) })
        case let error as IOError:
            return Self.describe(errno: error.errnoCode)
        case let error as SocketAddressError.UnknownHost:
            return "cannot resolve \(error.host): \(Self.lowercasingFirstLetter(error.errorDescription))"
        case ChannelError.connectTimeout(let timeout):
            return "no connection within \(timeout)"
        default:
            return "\(error)"
        }
    }

    /// The failures of the attempts at each of a host's addresses: one reason when they agree,
    /// otherwise each reason with the addresses it applies to.
    static func describe(attempts: [(address: SocketAddress, error: any Error)]) -> String {
        guard !attempts.isEmpty else { return "no address to connect to" }
        var reasons: [(reason: String, addresses: [String])] = []
        for attempt in attempts {
            let reason = Self.describe(attempt.error)
            let address = attempt.address.ipAddress ?? "\(attempt.address)"
            if let index = reasons.firstIndex(where: { $0.reason == reason }) {
                reasons[index].addresses.append(address)
            } else {
                reasons.append((reason, [address]))
            }
        }
        if reasons.count == 1 { return reasons[0].reason }
        return reasons.map { "\($0.reason) (\($0.addresses.joined(separator: ", ")))" }.joined(separator: "; ")
    }

    /// `strerror` in lower case: `connection refused`, `network is unreachable`.
    static func describe(errno code: CInt) -> String {
        guard let text = strerror(code) else { return "error \(code)" }
        return Self.lowercasingFirstLetter(String(cString: text))
    }

    /// `Connection refused` → `connection refused`; an acronym (`EOF`) stays as it is.
    private static func lowercasingFirstLetter(_ text: String) -> String {
        guard let first = text.first, first.isUppercase, text.dropFirst().first?.isUppercase != true else {
            return text
        }
        return first.lowercased() + text.dropFirst()
    }
}
