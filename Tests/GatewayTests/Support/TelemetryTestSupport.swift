import Foundation
import Gateway
import Prometheus
import Synchronization

/// One sample of a Prometheus exposition, as a real parser read it.
struct PrometheusSample: Sendable, CustomStringConvertible {
    /// The sample's name (`…_count`, `…_bucket`, `…_total`, or the gauge's own).
    var name: String
    var labels: [String: String]
    var value: Double

    var description: String { "\(name)\(labels.sorted { $0.key < $1.key }) \(value)" }
}

/// Renders a registry as the Prometheus text format and parses it with `prometheus_client`'s
/// own parser (Python, `pip install prometheus-client`), so tests read what a real scraper reads:
/// a malformed exposition fails the parse and the test.
enum PrometheusExposition {
    /// The registry's text.
    static func text(_ registry: PrometheusCollectorRegistry) -> String {
        var bytes: [UInt8] = []
        registry.emit(into: &bytes)
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Every sample of `registry`'s exposition.
    static func samples(_ registry: PrometheusCollectorRegistry) throws -> [PrometheusSample] {
        try parse(text(registry))
    }

    /// Parses exposition `text`.
    /// - Throws: ``TestFailure`` when the parser rejects it.
    static func parse(_ text: String) throws -> [PrometheusSample] {
        let script = """
            import json, sys
            from prometheus_client.parser import text_string_to_metric_families
            for family in text_string_to_metric_families(sys.stdin.read()):
                for s in family.samples:
                    print(json.dumps({"name": s.name, "labels": s.labels, "value": s.value}))
            """
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", "-c", script]
        let input = Pipe()
        let output = Pipe()
        let errors = Pipe()
        process.standardInput = input
        process.standardOutput = output
        process.standardError = errors
        try process.run()
        input.fileHandleForWriting.write(Data(text.utf8))
        try input.fileHandleForWriting.close()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        let problems = errors.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw TestFailure(
                "prometheus_client rejected the exposition: \(String(decoding: problems, as: UTF8.self))\n\(text)"
            )
        }
        return try String(decoding: data, as: UTF8.self).split(separator: "\n").map { line in
            let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] ?? [:]
            return PrometheusSample(
                name: object["name"] as? String ?? "",
                labels: object["labels"] as? [String: String] ?? [:],
                value: (object["value"] as? NSNumber)?.doubleValue ?? .nan
            )
        }
    }
}

extension [PrometheusSample] {
    /// The value of the one sample named `name` whose labels include `labels`; nil when there is
    /// none (and a failure-worthy nil when there are several: the caller's labels are too loose).
    func value(_ name: String, _ labels: [String: String] = [:]) -> Double? {
        let matching = filter { sample in
            sample.name == name && labels.allSatisfy { sample.labels[$0.key] == $0.value }
        }
        return matching.count == 1 ? matching[0].value : nil
    }

    /// The samples named `name`.
    func named(_ name: String) -> [PrometheusSample] { filter { $0.name == name } }
}

/// An access-log sink that keeps every line, for tests.
final class CollectingSink: AccessLogSink {
    private let bytes = Mutex<[UInt8]>([])

    func write(_ bytes: [UInt8]) {
        self.bytes.withLock { $0.append(contentsOf: bytes) }
    }

    /// The lines written so far.
    var lines: [String] {
        bytes.withLock { String(decoding: $0, as: UTF8.self) }.split(separator: "\n").map(String.init)
    }

    /// Waits until at least `count` lines arrived (the writer runs on its own thread).
    func waitForLines(_ count: Int, timeout: Duration = .seconds(5)) async throws -> [String] {
        let clock = ContinuousClock()
        let deadline = clock.now + timeout
        while clock.now < deadline {
            let lines = self.lines
            if lines.count >= count { return lines }
            try await Task.sleep(for: .milliseconds(10))
        }
        return lines
    }

    /// The lines as JSON objects.
    func jsonLines(_ count: Int) async throws -> [[String: Any]] {
        try await waitForLines(count).map { line in
            try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] ?? [:]
        }
    }
}
