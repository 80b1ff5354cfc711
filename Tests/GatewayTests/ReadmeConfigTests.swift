import Foundation
import Gateway
import Testing

/// The README's full `Gateway.yaml` reference (the ```yaml block under "## Gateway.yaml") is a
/// configuration `portico check` accepts: written to a temporary directory with every file it
/// names (the descriptor set copied from `Protos/`, the TLS files made by a throwaway CA), it
/// loads as `Check.swift` loads a file, `GatewayConfig.load(path:)` then
/// `GatewaySnapshot(config:baseDirectory:)`; otherwise the test fails listing every problem.
@Suite("README Gateway.yaml reference")
struct ReadmeConfigTests {
    /// The reference block's text.
    static func referenceYAML() throws -> String {
        let blocks = ReadmeDocument.repository.blocks("yaml").filter { $0.heading == "Gateway.yaml" }
        let block = try #require(blocks.first, "README.md has a ```yaml block under \"## Gateway.yaml\"")
        return block.lines.joined(separator: "\n") + "\n"
    }

    /// The relative paths of files the YAML names: descriptor sets (`.binpb`), key lists
    /// (`.txt`) and PEM files.
    static func namedFiles(in yaml: String) -> [String] {
        let pattern = #/[A-Za-z0-9_./-]+\.(binpb|txt|json|pem|key)\b/#
        var paths: [String] = []
        for line in yaml.split(separator: "\n") {
            // Only values: the comments name example files (my.binpb) that are not config.
            let value = line.split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false)[0]
            for match in value.matches(of: pattern) where !paths.contains(String(match.output.0)) {
                // A URL path (`openapi: { path: /openapi.json }`) is not a file.
                if match.output.0.hasPrefix("/") { continue }
                paths.append(String(match.output.0))
            }
        }
        return paths
    }

    /// Writes `yaml` as `Gateway.yaml` into `directory` with the files it names.
    static func materialize(_ yaml: String, in directory: String) async throws {
        let manager = FileManager.default
        try manager.createDirectory(atPath: directory, withIntermediateDirectories: true)
        try yaml.write(toFile: directory + "/Gateway.yaml", atomically: true, encoding: .utf8)
        let files = namedFiles(in: yaml)
        for path in files where path.hasSuffix(".binpb") || path.hasSuffix(".txt") || path.hasSuffix(".json") {
            let target = directory + "/" + path
            try manager.createDirectory(
                atPath: (target as NSString).deletingLastPathComponent,
                withIntermediateDirectories: true
            )
            try manager.copyItem(atPath: repositoryRoot + "/" + path, toPath: target)
        }
        // PEM files: `<dir>/ca.pem` is the CA; every other `<dir>/<name>.pem`/`.key` pair a
        // leaf it issues (a client certificate when the name says so).
        let pem = files.filter { $0.hasSuffix(".pem") || $0.hasSuffix(".key") }
        let folders = Set(pem.map { ($0 as NSString).deletingLastPathComponent })
        for folder in folders {
            let ca = try await TestCertificateAuthority.create(in: directory + "/" + folder, name: "ca")
            let stems = Set(
                pem.filter { ($0 as NSString).deletingLastPathComponent == folder }
                    .map { (($0 as NSString).lastPathComponent as NSString).deletingPathExtension }
            ).subtracting(["ca"])
            for stem in stems.sorted() {
                _ = try await ca.issue(
                    stem,
                    subjectAltNames: ["DNS:localhost", "DNS:demo.internal", "IP:127.0.0.1"],
                    clientAuth: stem.contains("client")
                )
            }
        }
    }

    /// `portico check` would accept the reference block.
    @Test func theReferenceBlockLoadsAsPorticoCheckLoadsIt() async throws {
        let yaml = try Self.referenceYAML()
        let directory = NSTemporaryDirectory() + "portico-readme-config-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try await Self.materialize(yaml, in: directory)
        for path in Self.namedFiles(in: yaml) {
            #expect(FileManager.default.fileExists(atPath: directory + "/" + path), "\(path) was made")
        }
        do {
            let loaded = try GatewayConfig.load(path: directory + "/Gateway.yaml")
            let snapshot = try GatewaySnapshot(config: loaded.config, baseDirectory: loaded.baseDirectory)
            #expect(snapshot.config.tls != nil)
            #expect(snapshot.config.backends["demo"]?.tls != nil)
            #expect(snapshot.config.methods.count == 2)
        } catch {
            Issue.record("README.md's Gateway.yaml reference does not load:\n\(error)")
        }
    }

    /// Guards the extraction: the block's descriptor set, key list and every TLS file are found.
    @Test func theFilesItNamesAreFound() throws {
        let files = Self.namedFiles(in: try Self.referenceYAML())
        #expect(
            files == [
                "Protos/demo.binpb", "certs/ca.pem", "certs/client.pem", "certs/client.key", "certs/portico.pem",
                "certs/portico.key", "demo/api-keys.txt", "demo/jwt/jwks.json",
            ]
        )
    }
}
