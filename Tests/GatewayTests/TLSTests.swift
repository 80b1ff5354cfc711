import DemoServices
import Foundation
import Gateway
import NIOCore
import NIOHTTP1
import Testing

/// Portico → the real demo backend over TLS and mutual TLS, with a throwaway CA made by `openssl`
/// in each test: custom CA, client certificate, SNI override, ALPN, failures (fast 503s naming the
/// TLS error) and load-time validation of the TLS keys. The listener side is in FrontEndTLSTests.
@Suite("TLS to backends")
struct TLSTests {
    @Test func upstreamMutualTLSServesTheCall() async throws {
        try await withCertificates { certs in
            let tls =
                "{ ca: \(certs.ca.certificate), cert: \(certs.client.certificate), key: \(certs.client.privateKey) }"
            try await withTLSGateway(backend: mutualTLSBackend(certs), upstreamTLS: tls) { harness in
                let client = try await harness.client()
                for _ in 0..<3 {
                    let response = try await client.send(.GET, "/v1/users/1")
                    #expect(response.status == 200)
                    #expect(response.text == tlsTestUser1)
                }
                // The calls shared one TLS connection per loop at most.
                let connections = try await harness.gateway.upstreamConnectionCounts().reduce(0, +)
                #expect(connections == 1)
            }
        }
    }

    @Test func missingClientCertificateIsA503NamingTheTLSFailureFast() async throws {
        try await withCertificates { certs in
            let tls = "{ ca: \(certs.ca.certificate) }"
            try await withTLSGateway(backend: mutualTLSBackend(certs), upstreamTLS: tls) { harness in
                let client = try await harness.client()
                for _ in 0..<2 {
                    let started = ContinuousClock.now
                    let response = try await client.send(.GET, "/v1/users/1")
                    let elapsed = ContinuousClock.now - started
                    #expect(response.status == 503)
                    let status = try statusMessage(response)
                    #expect(status.code == 14)
                    #expect(status.message.contains("TLS handshake"), "\(status.message)")
                    #expect(status.message.contains("CERTIFICATE_REQUIRED"), "\(status.message)")
                    // Well under the 2 s connect timeout: the refusal is seen, not waited out.
                    #expect(elapsed < .seconds(2), "took \(elapsed)")
                }
                // TLS 1.3 refuses the client after our side of the handshake is done: still a
                // failed connect, never a connection calls were started on.
                #expect(try await harness.gateway.upstreamConnectionCounts().reduce(0, +) == 0)
            }
        }
    }

    @Test func backendSignedByAnUntrustedCAIsA503() async throws {
        try await withCertificates { certs in
            let tls =
                "{ ca: \(certs.otherCA.certificate), cert: \(certs.client.certificate), key: \(certs.client.privateKey) }"
            try await withTLSGateway(backend: mutualTLSBackend(certs), upstreamTLS: tls) { harness in
                let started = ContinuousClock.now
                let response = try await harness.client().send(.GET, "/v1/users/1")
                #expect(response.status == 503)
                let status = try statusMessage(response)
                #expect(status.message.contains("TLS handshake"), "\(status.message)")
                #expect(status.message.contains("CERTIFICATE_VERIFY_FAILED"), "\(status.message)")
                #expect(ContinuousClock.now - started < .seconds(2))
            }
        }
    }

    @Test func insecureSkipVerifyAcceptsAnUntrustedBackend() async throws {
        try await withCertificates { certs in
            let tls =
                "{ ca: \(certs.otherCA.certificate), cert: \(certs.client.certificate), key: \(certs.client.privateKey), insecureSkipVerify: true }"
            try await withTLSGateway(backend: mutualTLSBackend(certs), upstreamTLS: tls) { harness in
                let response = try await harness.client().send(.GET, "/v1/users/1")
                #expect(response.status == 200)
                #expect(response.text == tlsTestUser1)
            }
        }
    }

    @Test func serverNameOverridesTheNameTheCertificateMustCarry() async throws {
        try await withCertificates { certs in
            let backendTLS = DemoBackendTLS(
                certificateChainFile: certs.namedServer.certificate,
                privateKeyFile: certs.namedServer.privateKey
            )
            // The certificate names backend.portico.test, not 127.0.0.1.
            let plain = "{ ca: \(certs.ca.certificate) }"
            try await withTLSGateway(backend: backendTLS, upstreamTLS: plain) { harness in
                let response = try await harness.client().send(.GET, "/v1/users/1")
                #expect(response.status == 503)
                let message = try statusMessage(response).message
                #expect(message.contains("certificate is not valid for 127.0.0.1"), "\(message)")
            }
            let named = "{ ca: \(certs.ca.certificate), serverName: backend.portico.test }"
            try await withTLSGateway(backend: backendTLS, upstreamTLS: named) { harness in
                let response = try await harness.client().send(.GET, "/v1/users/1")
                #expect(response.status == 200)
                #expect(response.text == tlsTestUser1)
            }
        }
    }

    @Test func aTLSPeerThatWillNotSpeakH2IsA503NamingALPN() async throws {
        try await withCertificates { certs in
            // Portico's own HTTPS listener offers http/1.1 only: a TLS server that refuses h2.
            let front = "tls: { cert: \(certs.server.certificate), key: \(certs.server.privateKey) }"
            try await GatewayHarness.with(
                backends: 0,
                config: { _ in tlsConfigYAML(endpoint: "127.0.0.1:1", backendTLS: nil, extra: front) }
            ) { https in
                let tls = "{ ca: \(certs.ca.certificate) }"
                try await GatewayHarness.with(
                    backends: 0,
                    config: { _ in tlsConfigYAML(endpoint: "127.0.0.1:\(https.gatewayPort)", backendTLS: tls) }
                ) { harness in
                    let response = try await harness.client().send(.GET, "/v1/users/1")
                    #expect(response.status == 503)
                    let message = try statusMessage(response).message
                    #expect(message.contains("ALPN"), "\(message)")
                    #expect(message.contains("h2"), "\(message)")
                }
            }
        }
    }

    @Test func aCleartextBackendBehindTLSConfigFailsCleanly() async throws {
        try await withCertificates { certs in
            let tls = "{ ca: \(certs.ca.certificate) }"
            try await withTLSGateway(backend: nil, upstreamTLS: tls) { harness in
                let started = ContinuousClock.now
                let response = try await harness.client().send(.GET, "/v1/users/1")
                #expect(response.status == 503)
                #expect(try statusMessage(response).message.contains("TLS"))
                #expect(ContinuousClock.now - started < .seconds(2))
            }
        }
    }

    @Test func aBackendThatNeverAnswersTheHandshakeTimesOutAtTheConnectTimeout() async throws {
        try await withCertificates { certs in
            let silent = try await MisbehavingBackend.start(.silent)
            let tls = "{ ca: \(certs.ca.certificate) }"
            do {
                try await GatewayHarness.with(
                    backends: 0,
                    config: { _ in tlsConfigYAML(endpoint: "127.0.0.1:\(silent.port)", backendTLS: tls) }
                ) { harness in
                    let started = ContinuousClock.now
                    let response = try await harness.client().send(.GET, "/v1/users/1")
                    let elapsed = ContinuousClock.now - started
                    #expect(response.status == 503)
                    let message = try statusMessage(response).message
                    #expect(message.contains("TLS handshake") && message.contains("timed out"), "\(message)")
                    // The gateway's 2 s connect timeout covers the handshake; the call's 5 s deadline never comes.
                    #expect(elapsed >= .milliseconds(1900) && elapsed < .seconds(4), "took \(elapsed)")
                }
            } catch {
                await silent.stop()
                throw error
            }
            await silent.stop()
        }
    }

    // MARK: Configuration

    @Test func unreadableOrInvalidTLSFilesFailAtLoadWithTheirYAMLPath() async throws {
        try await withCertificates { certs in
            let garbage = certs.directory + "/garbage.pem"
            try "not a certificate\n".write(toFile: garbage, atomically: true, encoding: .utf8)
            let yaml = tlsConfigYAML(
                endpoint: "127.0.0.1:50051",
                backendTLS: "{ ca: missing/ca.pem, cert: \(garbage), key: \(certs.client.privateKey) }",
                extra: "tls: { cert: /nonexistent/portico.pem, key: \(certs.server.privateKey) }"
            )
            let config = try GatewayConfig.parse(yaml: yaml)
            let error = try #require(throws: ConfigError.self) {
                try GatewaySnapshot(config: config, baseDirectory: repositoryRoot)
            }
            let problems = Dictionary(error.problems.map { ($0.path, $0.message) }, uniquingKeysWith: { $1 })
            #expect(problems["tls.cert"]?.contains("/nonexistent/portico.pem") == true, "\(error)")
            // Relative paths resolve against the config file's folder, like protos.
            #expect(problems["backends.demo.tls.ca"]?.contains("\(repositoryRoot)/missing/ca.pem") == true, "\(error)")

            // Once the CA is fine, the invalid client certificate is next.
            let yaml2 = tlsConfigYAML(
                endpoint: "127.0.0.1:50051",
                backendTLS: "{ ca: \(certs.ca.certificate), cert: \(garbage), key: \(certs.client.privateKey) }"
            )
            let error2 = try #require(throws: ConfigError.self) {
                try GatewaySnapshot(config: GatewayConfig.parse(yaml: yaml2), baseDirectory: repositoryRoot)
            }
            #expect(error2.problems.map(\.path) == ["backends.demo.tls.cert"], "\(error2)")

            // A key that is not the certificate's.
            let yaml3 = tlsConfigYAML(
                endpoint: "127.0.0.1:50051",
                backendTLS: nil,
                extra: "tls: { cert: \(certs.server.certificate), key: \(certs.client.privateKey) }"
            )
            let error3 = try #require(throws: ConfigError.self) {
                try GatewaySnapshot(config: GatewayConfig.parse(yaml: yaml3), baseDirectory: repositoryRoot)
            }
            #expect(error3.problems.map(\.path) == ["tls.key"], "\(error3)")

            let yaml5 = tlsConfigYAML(
                endpoint: "127.0.0.1:50051",
                backendTLS: "{ cert: \(certs.client.certificate), key: \(certs.server.privateKey) }"
            )
            let error5 = try #require(throws: ConfigError.self) {
                try GatewaySnapshot(config: GatewayConfig.parse(yaml: yaml5), baseDirectory: repositoryRoot)
            }
            #expect(error5.problems.map(\.path) == ["backends.demo.tls.key"], "\(error5)")

            // SNI carries host names only.
            let yaml4 = tlsConfigYAML(endpoint: "127.0.0.1:50051", backendTLS: "{ serverName: 10.0.0.1 }")
            let error4 = try #require(throws: ConfigError.self) {
                try GatewaySnapshot(config: GatewayConfig.parse(yaml: yaml4), baseDirectory: repositoryRoot)
            }
            #expect(error4.problems.map(\.path) == ["backends.demo.tls.serverName"], "\(error4)")
        }
    }

    @Test func tlsKeysAreCheckedWhileParsing() throws {
        let yaml = tlsConfigYAML(
            endpoint: "127.0.0.1:50051",
            backendTLS: "{ cert: client.pem, verify: no }",
            extra: "tls: { cert: server.pem }"
        )
        let error = try #require(throws: ConfigError.self) { try GatewayConfig.parse(yaml: yaml) }
        let paths = Set(error.problems.map(\.path))
        #expect(paths.contains("backends.demo.tls.key"), "\(error)")
        #expect(paths.contains("backends.demo.tls.verify"), "\(error)")
        #expect(paths.contains("tls.key"), "\(error)")

        let enabled = try GatewayConfig.parse(yaml: tlsConfigYAML(endpoint: "127.0.0.1:50051", backendTLS: "true"))
        #expect(enabled.backends["demo"]?.tls != nil)
        let off = try GatewayConfig.parse(yaml: tlsConfigYAML(endpoint: "127.0.0.1:50051", backendTLS: "false"))
        #expect(off.backends["demo"]?.tls == nil)
        let empty = try GatewayConfig.parse(yaml: tlsConfigYAML(endpoint: "127.0.0.1:50051", backendTLS: "{}"))
        #expect(empty.backends["demo"]?.tls != nil)
    }
}
