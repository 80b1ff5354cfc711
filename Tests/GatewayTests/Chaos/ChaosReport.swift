import Foundation
import NIOConcurrencyHelpers

/// Figures of one kind of call: how many completed correctly and how long they took.
struct ChaosFigures: Sendable {
    /// Every call's outcome.
    var outcomes: [ChaosOutcome]

    /// Calls that did what they should.
    var completed: Int { outcomes.filter(\.ok).count }
    /// `completed/total`.
    var counts: String { "\(completed)/\(outcomes.count)" }
    /// The median duration, in milliseconds.
    var p50: Double { percentile(0.50) }
    /// The 99th percentile duration (nearest rank), in milliseconds.
    var p99: Double { percentile(0.99) }
    /// The failures' details, for the test's message.
    var failures: [String] { outcomes.filter { !$0.ok }.map(\.detail) }

    private func percentile(_ fraction: Double) -> Double {
        let sorted = outcomes.map(\.seconds).sorted()
        guard !sorted.isEmpty else { return .nan }
        let rank = Int((fraction * Double(sorted.count)).rounded(.up))
        return sorted[min(max(rank, 1), sorted.count) - 1] * 1000
    }
}

/// The figures of a chaos run: printed as each scenario ends, and written as Markdown to the
/// file `PORTICO_CHAOS_RESULTS` names (`make chaos`: `Benchmarks/results/chaos.md`), every
/// scenario's section so far, in scenario order.
enum ChaosReport {
    private static let sections = NIOLockedValueBox<[String: String]>([:])

    /// Records the section `key` (sections are ordered by key), prints it, rewrites the file.
    static func record(_ key: String, _ markdown: String) {
        print(markdown)
        let all = sections.withLockedValue {
            $0[key] = markdown
            return $0.sorted { $0.key < $1.key }.map(\.value)
        }
        guard let path = ProcessInfo.processInfo.environment["PORTICO_CHAOS_RESULTS"], !path.isEmpty else { return }
        let text = ([header] + all).joined(separator: "\n")
        try? text.write(toFile: path, atomically: true, encoding: .utf8)
    }

    /// `| a | b |` rows of a Markdown table under `columns`.
    static func table(_ columns: [String], _ rows: [[String]]) -> String {
        let lines = [columns, columns.map { _ in "---" }] + rows
        return lines.map { "| " + $0.joined(separator: " | ") + " |" }.joined(separator: "\n")
    }

    /// A duration in milliseconds as the tables show it.
    static func milliseconds(_ value: Double) -> String {
        value.isNaN ? "—" : value < 10 ? String(format: "%.2f", value) : String(format: "%.0f", value)
    }

    private static let header: String = {
        let commit = ChaosShell.run("/usr/bin/env", ["git", "-C", repositoryRoot, "rev-parse", "--short", "HEAD"])
        let kernel = ChaosShell.run("/usr/bin/env", ["uname", "-r"]).output
        let date = ISO8601DateFormatter().string(from: Date())
        return """
            # Chaos: a network with weather

            `make chaos` at \(commit.output.trimmingCharacters(in: .whitespacesAndNewlines)), \(date), \
            kernel \(kernel.trimmingCharacters(in: .whitespacesAndNewlines)), \
            \(ProcessInfo.processInfo.activeProcessorCount) cores (shared). The backend (`demo-backend`) runs in \
            its own network namespace behind a veth link whose weather `scripts/weather-link.py` makes \
            (a user-space netem: delay, jitter, loss, reordering, partitions); `portico serve` runs in \
            the root namespace with `keepalive: { interval: \(ChaosStack.keepaliveSeconds)s, \
            timeout: \(ChaosStack.keepaliveTimeoutSeconds)s }`. Tests build: `-O -assert-config Debug`.

            """
    }()
}
