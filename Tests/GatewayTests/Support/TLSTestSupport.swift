import DemoServices
import Foundation

/// The certificates of one TLS test: two unrelated CAs and the leaves the first one signs.
struct TLSTestCertificates: Sendable {
    /// The CA everything below chains to.
    let ca: TestCertificateAuthority
    /// A CA nobody uses: trusting it instead of ``ca`` must fail.
    let otherCA: TestCertificateAuthority
    /// Server certificate for `localhost` and 127.0.0.1.
    let server: TestCertificateAuthority.Leaf
    /// Server certificate naming only `backend.portico.test` (for `serverName`).
    let namedServer: TestCertificateAuthority.Leaf
    /// Client certificate for mutual TLS.
    let client: TestCertificateAuthority.Leaf
    /// The folder holding every file.
    let directory: String

    /// Makes fresh CAs and certificates in a new temporary folder.
    static func make() async throws -> TLSTestCertificates {
        let directory = NSTemporaryDirectory() + "portico-tls-\(UUID().uuidString)"
        let ca = try await TestCertificateAuthority.create(in: directory, name: "ca")
        let otherCA = try await TestCertificateAuthority.create(in: directory, name: "other-ca")
        return TLSTestCertificates(
            ca: ca,
            otherCA: otherCA,
            server: try await ca.issue("server", subjectAltNames: ["DNS:localhost", "IP:127.0.0.1"]),
            namedServer: try await ca.issue("named-server", subjectAltNames: ["DNS:backend.portico.test"]),
            client: try await ca.issue("client", subjectAltNames: ["DNS:portico-client"], clientAuth: true),
            directory: directory
        )
    }

    /// Removes every file.
    func remove() {
        try? FileManager.default.removeItem(atPath: directory)
    }
}

/// `curl` over HTTPS to `localhost:port` (pinned to 127.0.0.1), trusting only `caFile`.
/// - Returns: The HTTP status (0 when curl failed before one arrived), the body and curl's stderr.
func curlHTTPS(port: Int, path: String, caFile: String) async throws -> (status: Int, body: String, stderr: String) {
    let output = try await runTool(
        "curl",
        [
            "-sS", "--max-time", "10", "--cacert", caFile, "--resolve", "localhost:\(port):127.0.0.1",
            "-w", "\n%{http_code}", "https://localhost:\(port)\(path)",
        ]
    )
    var lines = output.text.split(separator: "\n", omittingEmptySubsequences: false)
    let status = lines.popLast().flatMap { Int($0) } ?? 0
    return (status, lines.joined(separator: "\n"), output.stderr)
}

/// `GET /v1/users/1` from the demo backend.
let tlsTestUser1 = #"{"id":1,"name":"Ada Lovelace"}"#

/// Runs `body` with fresh certificates, removed afterwards.
func withCertificates<T>(_ body: (TLSTestCertificates) async throws -> T) async throws -> T {
    let certs = try await TLSTestCertificates.make()
    defer { certs.remove() }
    return try await body(certs)
}

/// A demo backend TLS setup that requires a client certificate from `certs.ca`.
func mutualTLSBackend(_ certs: TLSTestCertificates, _ server: TestCertificateAuthority.Leaf? = nil) -> DemoBackendTLS {
    let leaf = server ?? certs.server
    return DemoBackendTLS(
        certificateChainFile: leaf.certificate,
        privateKeyFile: leaf.privateKey,
        clientCAFile: certs.ca.certificate
    )
}

/// The gRPC status code and message of a JSON error body.
func statusMessage(_ response: TestResponse) throws -> (code: Int, message: String) {
    let object = try response.jsonObject()
    return (object["code"] as? Int ?? -1, object["message"] as? String ?? "")
}
