import Foundation

/// What a finished child process left behind.
struct ProcessOutput: Sendable {
    var status: Int32
    var stdout: [UInt8]
    var stderr: String

    var text: String { String(decoding: stdout, as: UTF8.self) }
}

/// Runs `tool` (looked up in PATH) under coreutils' `timeout`, feeding it `input` on stdin, and
/// returns its exit status and output. Output goes through files, so a chatty tool never blocks
/// on a full pipe.
func runTool(
    _ tool: String,
    _ arguments: [String],
    input: [UInt8] = [],
    timeoutSeconds: Int = 30
) async throws -> ProcessOutput {
    let base = NSTemporaryDirectory() + "portico-tool-\(UUID().uuidString)"
    let outPath = base + ".out"
    let errPath = base + ".err"
    _ = FileManager.default.createFile(atPath: outPath, contents: nil)
    _ = FileManager.default.createFile(atPath: errPath, contents: nil)
    defer {
        try? FileManager.default.removeItem(atPath: outPath)
        try? FileManager.default.removeItem(atPath: errPath)
    }
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = ["timeout", String(timeoutSeconds), tool] + arguments
    let stdin = Pipe()
    process.standardInput = stdin
    process.standardOutput = try FileHandle(forWritingTo: URL(fileURLWithPath: outPath))
    process.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: errPath))
    let status: Int32 = try await withCheckedThrowingContinuation { continuation in
        process.terminationHandler = { continuation.resume(returning: $0.terminationStatus) }
        do {
            try process.run()
        } catch {
            continuation.resume(throwing: error)
            return
        }
        stdin.fileHandleForWriting.write(Data(input))
        try? stdin.fileHandleForWriting.close()
    }
    let stdout = FileManager.default.contents(atPath: outPath) ?? Data()
    let stderr = FileManager.default.contents(atPath: errPath) ?? Data()
    return ProcessOutput(status: status, stdout: [UInt8](stdout), stderr: String(decoding: stderr, as: UTF8.self))
}

/// A throwaway certificate authority made with the `openssl` CLI in a temporary folder: a CA
/// certificate and key (P-256), and leaf certificates it signs for servers and clients.
struct TestCertificateAuthority: Sendable {
    /// A PEM certificate and its PEM private key.
    struct Leaf: Sendable {
        var certificate: String
        var privateKey: String
    }

    /// The folder holding every file of this CA.
    let directory: String
    /// File name stem of the CA's files.
    let name: String

    /// The CA certificate (what clients and servers trust).
    var certificate: String { "\(directory)/\(name).pem" }
    private var privateKey: String { "\(directory)/\(name).key" }

    /// Makes a new CA named `name` in `directory` (created when missing).
    static func create(in directory: String, name: String = "ca") async throws -> TestCertificateAuthority {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let ca = TestCertificateAuthority(directory: directory, name: name)
        try await openssl([
            "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
            "-keyout", ca.privateKey, "-out", ca.certificate, "-days", "2", "-subj", "/CN=Portico Test CA \(name)",
            "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign",
        ])
        return ca
    }

    /// Issues a leaf certificate signed by this CA.
    /// - Parameters:
    ///   - name: File name stem for the leaf's files.
    ///   - subjectAltNames: e.g. `["DNS:localhost", "IP:127.0.0.1"]`.
    ///   - clientAuth: A client certificate (`clientAuth`) instead of a server one (`serverAuth`).
    func issue(_ name: String, subjectAltNames: [String], clientAuth: Bool = false) async throws -> Leaf {
        let leaf = Leaf(certificate: "\(directory)/\(name).pem", privateKey: "\(directory)/\(name).key")
        let request = "\(directory)/\(name).csr"
        let extensions = "\(directory)/\(name).ext"
        try await Self.openssl([
            "req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
            "-keyout", leaf.privateKey, "-out", request, "-subj", "/CN=\(name)",
        ])
        let ext = """
            basicConstraints=critical,CA:FALSE
            keyUsage=critical,digitalSignature
            extendedKeyUsage=\(clientAuth ? "clientAuth" : "serverAuth")
            subjectAltName=\(subjectAltNames.joined(separator: ","))

            """
        try ext.write(toFile: extensions, atomically: true, encoding: .utf8)
        try await Self.openssl([
            "x509", "-req", "-in", request, "-CA", certificate, "-CAkey", privateKey,
            "-set_serial", String(UInt32.random(in: 1...UInt32.max)), "-days", "2",
            "-extfile", extensions, "-out", leaf.certificate,
        ])
        return leaf
    }

    private static func openssl(_ arguments: [String]) async throws {
        let output = try await runTool("openssl", arguments)
        guard output.status == 0 else {
            throw TestFailure("openssl \(arguments.joined(separator: " ")) failed (\(output.status)): \(output.stderr)")
        }
    }
}
