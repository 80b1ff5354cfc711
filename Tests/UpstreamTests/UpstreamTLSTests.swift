import Foundation
import Logging
import NIOCore
import NIOEmbedded
import NIOHPACK
import NIOHTTP2
import Testing

@testable import Upstream

/// ``UpstreamTLS`` loading errors and what TLS changes on the wire. Handshakes against a real TLS
/// backend (mutual TLS, wrong CA, SNI, ALPN) are covered end to end in GatewayTests' TLSTests.
@Suite struct UpstreamTLSTests {
    @Test func loadingErrorsNameTheInputAtFault() throws {
        let garbage = NSTemporaryDirectory() + "portico-upstream-tls-\(UUID().uuidString).pem"
        try "no PEM here\n".write(toFile: garbage, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: garbage) }

        let missing = try #require(throws: UpstreamTLSError.self) {
            try UpstreamTLS(trustRoots: .pemFile("/nonexistent/ca.pem"))
        }
        #expect(missing.code == .trustRoots)
        #expect(missing.message.contains("/nonexistent/ca.pem"))

        let invalid = try #require(throws: UpstreamTLSError.self) { try UpstreamTLS(trustRoots: .pemFile(garbage)) }
        #expect(invalid.code == .trustRoots)

        let chainOnly = try #require(throws: UpstreamTLSError.self) { try UpstreamTLS(certificateChainFile: garbage) }
        #expect(chainOnly.code == .privateKey)
        let keyOnly = try #require(throws: UpstreamTLSError.self) { try UpstreamTLS(privateKeyFile: garbage) }
        #expect(keyOnly.code == .certificateChain)

        let address = try #require(throws: UpstreamTLSError.self) { try UpstreamTLS(serverName: "10.1.2.3") }
        #expect(address.code == .serverName)
    }

    @Test func theServerNameIsTheOverrideOrANonAddressHost() throws {
        let plain = try UpstreamTLS(insecureSkipVerify: true)
        #expect(plain.serverHostname(for: UpstreamTarget(host: "127.0.0.1", port: 1)) == nil)
        #expect(plain.serverHostname(for: UpstreamTarget(host: "::1", port: 1)) == nil)
        #expect(plain.serverHostname(for: UpstreamTarget(host: "users.internal", port: 1)) == "users.internal")
        let named = try UpstreamTLS(serverName: "api.example", insecureSkipVerify: true)
        #expect(named.serverHostname(for: UpstreamTarget(host: "127.0.0.1", port: 1)) == "api.example")
    }

    @Test func tlsConnectionsSendSchemeHTTPS() throws {
        let tls = try UpstreamTLS(insecureSkipVerify: true)
        for (configured, expected) in [(nil, "http"), (tls, "https")] {
            var configuration = UpstreamConfiguration.defaults
            configuration.tls = configured
            #expect(try self.schemeOfFirstRequest(configuration) == expected)
        }
    }

    /// The `:scheme` of the first request ``UpstreamConnection`` writes, decoded by a
    /// swift-nio-http2 server handler.
    private func schemeOfFirstRequest(_ configuration: UpstreamConfiguration) throws -> String? {
        let client = EmbeddedChannel()
        let connection = UpstreamConnection(
            target: UpstreamTarget(host: "127.0.0.1", port: 1),
            configuration: configuration,
            logger: Logger(label: "upstream-tls-test")
        )
        try client.pipeline.syncOperations.addHandler(connection)
        try client.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 1)).wait()
        let call = UpstreamCall(
            path: "/a.B/C",
            metadata: [],
            timeout: nil,
            eventLoop: client.eventLoop,
            allocator: ByteBufferAllocator(),
            maxMessageLength: 1 << 20,
            sendBufferWatermarks: (1 << 16, 1 << 14)
        )
        #expect(call.begin(delegate: IgnoringDelegate()))
        connection.start(call)
        client.embeddedEventLoop.run()
        let server = EmbeddedChannel(handler: NIOHTTP2Handler(mode: .server))
        while let bytes = try client.readOutbound(as: ByteBuffer.self) {
            try server.writeInbound(bytes)
        }
        var scheme: String?
        while let frame = try server.readInbound(as: HTTP2Frame.self) {
            if case .headers(let headers) = frame.payload, scheme == nil {
                scheme = headers.headers.first(name: ":scheme")
            }
        }
        _ = try? client.finish()
        _ = try? server.finish()
        return scheme
    }
}

private final class IgnoringDelegate: UpstreamCallDelegate {
    func upstreamCall(_ call: UpstreamCall, didReceiveHeaders headers: [(name: String, value: String)]) {}
    func upstreamCall(_ call: UpstreamCall, didReceiveMessage message: ByteBuffer) {}
    func upstreamCall(_ call: UpstreamCall, didFinishWith status: GRPCStatus, trailers: [(name: String, value: String)])
    {}
}
