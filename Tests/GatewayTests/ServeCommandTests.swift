import Foundation
import Testing

/// `portico serve` as users start it: the built executable in its own process.
@Suite("portico serve")
struct ServeCommandTests {
    /// The `portico` executable built next to the test bundle (`swift build --build-tests` builds it).
    static var executable: String? {
        let directory = Bundle.main.bundleURL.deletingLastPathComponent().path
        let candidates =
            [Bundle.main.bundleURL.path, directory].map { $0 + "/portico" } + [repositoryRoot + "/.build/debug/portico"]
        return candidates.first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    /// Writes a `Gateway.yaml` that serves on a free port with an unreachable backend; returns its path.
    static func writeMinimalConfig() throws -> String {
        let config = NSTemporaryDirectory() + "portico-serve-\(UUID().uuidString).yaml"
        try """
        listen: 127.0.0.1:0
        protos: [\(repositoryRoot)/Protos/demo.binpb]
        backends:
          demo: { endpoints: [127.0.0.1:1] }
        """.write(toFile: config, atomically: true, encoding: .utf8)
        return config
    }

    @Test func raisesTheOpenFileLimitSoThousandsOfClientsFit() async throws {
        let executable = try #require(Self.executable, "portico is not built")
        let config = try Self.writeMinimalConfig()
        defer { try? FileManager.default.removeItem(atPath: config) }
        // Started the way a default Debian shell would: soft limit 1,024 (or lower), hard above.
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        process.arguments = [
            "-c", "ulimit -Sn 256 && exec \"$0\" serve --config \"$1\" --log-level error", executable, config,
        ]
        try process.run()
        defer {
            process.terminate()
            process.waitUntilExit()
        }
        var limits: (soft: String, hard: String)?
        for _ in 0..<100 {
            try await Task.sleep(for: .milliseconds(50))
            // Only once portico (not the shell) runs: its command line names it.
            let command =
                (try? String(contentsOfFile: "/proc/\(process.processIdentifier)/cmdline", encoding: .utf8)) ?? ""
            guard command.contains("serve"),
                let text = try? String(contentsOfFile: "/proc/\(process.processIdentifier)/limits", encoding: .utf8),
                let line = text.split(separator: "\n").first(where: { $0.hasPrefix("Max open files") })
            else { continue }
            let fields = line.split(separator: " ", omittingEmptySubsequences: true)
            // "Max open files  <soft>  <hard>  files"
            let soft = String(fields[3])
            let hard = String(fields[4])
            limits = (soft, hard)
            if soft == hard { break }
        }
        let found = try #require(limits, "no /proc limits for portico")
        #expect(found.soft == found.hard, "soft \(found.soft), hard \(found.hard)")
        #expect(found.soft != "256")
    }
}
