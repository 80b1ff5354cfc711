import NIOCore
import NIOPosix
import Testing

@testable import Upstream

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// What a failed connect says: what happened, once, without NIO's wrapping.
@Suite struct UpstreamConnectErrorTests {
    static let refused = IOError(errnoCode: ECONNREFUSED, reason: "connection reset (error set)")
    static let unreachable = IOError(errnoCode: ENETUNREACH, reason: "connect(descriptor:addr:size:)")

    @Test func aRefusedConnectSaysSoOnce() {
        let error = UpstreamConnectError(target: UpstreamTarget(host: "127.0.0.1", port: 50051), error: Self.refused)
        #expect(error.reason == "cannot connect to 127.0.0.1:50051: connection refused")
    }

    @Test func theTargetNamesTheAddressItWasResolvedTo() throws {
        let address = try SocketAddress(ipAddress: "10.0.0.7", port: 50051)
        let target = UpstreamTarget(host: "users.internal", port: 50051, resolvedAddress: address)
        let error = UpstreamConnectError(target: target, error: Self.unreachable)
        #expect(error.reason == "cannot connect to users.internal:50051 (10.0.0.7): network is unreachable")
    }

    @Test func attemptsThatAgreeGiveOneReason() throws {
        let attempts: [(address: SocketAddress, error: any Error)] = [
            (try SocketAddress(ipAddress: "::1", port: 1), Self.refused),
            (try SocketAddress(ipAddress: "127.0.0.1", port: 1), Self.refused),
        ]
        #expect(UpstreamConnectError.describe(attempts: attempts) == "connection refused")
    }

    @Test func attemptsThatDisagreeNameTheirAddresses() throws {
        let attempts: [(address: SocketAddress, error: any Error)] = [
            (try SocketAddress(ipAddress: "::1", port: 1), Self.unreachable),
            (try SocketAddress(ipAddress: "127.0.0.1", port: 1), Self.refused),
            (try SocketAddress(ipAddress: "127.0.0.2", port: 1), Self.refused),
        ]
        #expect(
            UpstreamConnectError.describe(attempts: attempts)
                == "network is unreachable (::1); connection refused (127.0.0.1, 127.0.0.2)"
        )
        #expect(UpstreamConnectError.describe(attempts: []) == "no address to connect to")
    }

    @Test func timeoutsAndErrnosSayWhatFailed() {
        #expect(UpstreamConnectError.describe(ChannelError.connectTimeout(.seconds(2))) == "no connection within 2 s")
        #expect(UpstreamConnectError.describe(errno: ETIMEDOUT) == "connection timed out")
    }
}
