import DemoServices
import Foundation
import Gateway
import NIOCore
import NIOHTTP1
import Testing

/// TLS termination on Portico's own listener (`tls: {cert, key}`), with a throwaway CA made by
/// `openssl` in each test: HTTPS clients (curl) and `wss://` sessions (openssl s_client) get what
/// plain clients get; plain HTTP on the TLS port fails cleanly.
@Suite("TLS on the listener")
struct FrontEndTLSTests {
    @Test func httpsClientsGetWhatHTTPClientsGet() async throws {
        try await withCertificates { certs in
            let front = "tls: { cert: \(certs.server.certificate), key: \(certs.server.privateKey) }"
            try await withTLSGateway(backend: nil, upstreamTLS: nil, extra: front) { harness in
                let ok = try await curlHTTPS(
                    port: harness.gatewayPort,
                    path: "/v1/users/1",
                    caFile: certs.ca.certificate
                )
                #expect(ok.status == 200, "\(ok.stderr)")
                #expect(ok.body == tlsTestUser1)
                let missing = try await curlHTTPS(
                    port: harness.gatewayPort,
                    path: "/v1/users/9",
                    caFile: certs.ca.certificate
                )
                #expect(missing.status == 404)

                // A client that does not trust the CA refuses the listener.
                let untrusted = try await curlHTTPS(
                    port: harness.gatewayPort,
                    path: "/v1/users/1",
                    caFile: certs.otherCA.certificate
                )
                #expect(untrusted.status == 0)

                // Plain HTTP to the TLS port: no response, the connection just ends.
                let started = ContinuousClock.now
                let plain = try await harness.client()
                await #expect(throws: (any Error).self) { try await plain.send(.GET, "/v1/users/1") }
                #expect(ContinuousClock.now - started < .seconds(5))
                await plain.close()

                // And the listener still serves HTTPS afterwards.
                #expect(
                    try await curlHTTPS(port: harness.gatewayPort, path: "/v1/users/1", caFile: certs.ca.certificate)
                        .status == 200
                )
            }
        }
    }

    @Test func upstreamMutualTLSBehindAnHTTPSListener() async throws {
        try await withCertificates { certs in
            let tls =
                "{ ca: \(certs.ca.certificate), cert: \(certs.client.certificate), key: \(certs.client.privateKey) }"
            let front = "tls: { cert: \(certs.server.certificate), key: \(certs.server.privateKey) }"
            try await withTLSGateway(backend: mutualTLSBackend(certs), upstreamTLS: tls, extra: front) { harness in
                let ok = try await curlHTTPS(
                    port: harness.gatewayPort,
                    path: "/v1/users/1",
                    caFile: certs.ca.certificate
                )
                #expect(ok.status == 200, "\(ok.stderr)")
                #expect(ok.body == tlsTestUser1)
            }
        }
    }

    @Test func webSocketSessionsWorkOverWSS() async throws {
        try await withCertificates { certs in
            let front = "tls: { cert: \(certs.server.certificate), key: \(certs.server.privateKey) }"
            try await withTLSGateway(backend: nil, upstreamTLS: nil, extra: front) { harness in
                // openssl s_client as the TLS pipe: the upgrade, one text frame, then a close frame.
                var input = Array(
                    """
                    GET /v1/chat HTTP/1.1\r
                    Host: localhost\r
                    Upgrade: websocket\r
                    Connection: Upgrade\r
                    Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r
                    Sec-WebSocket-Version: 13\r
                    \r

                    """.utf8
                )
                input += Self.maskedFrame(opcode: 0x1, payload: Array(#"{"message":"over tls"}"#.utf8))
                input += Self.maskedFrame(opcode: 0x8, payload: [0x03, 0xE8])
                let output = try await runTool(
                    "openssl",
                    [
                        "s_client", "-connect", "127.0.0.1:\(harness.gatewayPort)", "-servername", "localhost",
                        "-CAfile", certs.ca.certificate,
                        "-verify_return_error", "-quiet",
                    ],
                    input: input,
                    timeoutSeconds: 15
                )
                let text = String(decoding: output.stdout, as: UTF8.self)
                #expect(text.hasPrefix("HTTP/1.1 101 Switching Protocols"), "\(text) \(output.stderr)")
                #expect(text.contains(#"{"message":"you said: over tls"}"#), "\(text)")
                // The session's close frame: opcode 8, status 1000.
                #expect(Self.contains(output.stdout, [0x88, 0x02, 0x03, 0xE8]))
            }
        }
    }

    /// A client frame: FIN, `opcode`, masked `payload` (under 126 bytes).
    static func maskedFrame(opcode: UInt8, payload: [UInt8]) -> [UInt8] {
        let mask: [UInt8] = [0x12, 0x34, 0x56, 0x78]
        return [0x80 | opcode, 0x80 | UInt8(payload.count)] + mask + payload.enumerated().map { $1 ^ mask[$0 % 4] }
    }

    static func contains(_ haystack: [UInt8], _ needle: [UInt8]) -> Bool {
        guard haystack.count >= needle.count else { return false }
        return (0...(haystack.count - needle.count)).contains { Array(haystack[$0..<($0 + needle.count)]) == needle }
    }
}
