import Foundation
import Gateway
import Testing

/// `HeapSettings`: `portico serve` fixes glibc's mmap threshold at start, unless the operator
/// chose one with `MALLOC_MMAP_THRESHOLD_`. What the fixed threshold does to the resident set is
/// measured by the soak (`Benchmarks/results/soak.md` against `soak-before-heap-settings.md`): in
/// a process whose heap already has free space, where one block lands is not a fact a test can pin.
@Suite("Heap settings")
struct HeapSettingsTests {
    @Test func serveFixesTheThresholdAndSaysSo() async throws {
        let line = try await Self.heapLine(environment: [:])
        #expect(line.contains("mmap_threshold=\"\(HeapSettings.mmapThresholdBytes)\""), "\(line)")
    }

    @Test func anOperatorsThresholdIsLeftAlone() async throws {
        let line = try await Self.heapLine(environment: [HeapSettings.operatorVariable: "262144"])
        #expect(line.contains("left to the C library"), "\(line)")
    }

    /// Starts `portico serve` with `environment` added and returns its `heap` log line.
    private static func heapLine(environment: [String: String]) async throws -> String {
        let executable = try #require(ServeCommandTests.executable, "portico is not built")
        let config = try ServeCommandTests.writeMinimalConfig()
        defer { try? FileManager.default.removeItem(atPath: config) }
        let log = NSTemporaryDirectory() + "portico-heap-\(UUID().uuidString).log"
        FileManager.default.createFile(atPath: log, contents: nil)
        defer { try? FileManager.default.removeItem(atPath: log) }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = ["serve", "--config", config, "--log-level", "info"]
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { _, new in new }
        process.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: log))
        try process.run()
        defer {
            process.terminate()
            process.waitUntilExit()
        }
        for _ in 0..<100 {
            try await Task.sleep(for: .milliseconds(50))
            let text = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
            if let line = text.split(separator: "\n").first(where: { $0.contains("mmap_threshold=") }) {
                return String(line)
            }
        }
        Issue.record("no heap line from portico serve")
        return ""
    }
}
