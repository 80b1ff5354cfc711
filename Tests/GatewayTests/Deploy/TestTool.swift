import Foundation
import Testing
import Yams

/// The tools the deploy and OpenAPI tests run: hadolint, kubernetes-validate, check-jsonschema,
/// kubectl, openapi-spec-validator and schemathesis
/// from `.venv-tools/` (`make test-tools`, which `make test` runs), systemd-analyze from
/// Debian's systemd.
enum TestTool {
    /// The executable of `name`: `.venv-tools/bin/name` first, then the system's.
    static func path(_ name: String) throws -> String {
        let candidates = ["\(repositoryRoot)/.venv-tools/bin/\(name)", "/usr/bin/\(name)", "/bin/\(name)"]
        guard let found = candidates.first(where: { FileManager.default.isExecutableFile(atPath: $0) }) else {
            throw TestFailure("\(name) is not installed: run `make test-tools` (make test does)")
        }
        return found
    }

    /// Runs `name` with `arguments` (from the repository's root) and returns what it did.
    static func run(_ name: String, _ arguments: [String], timeoutSeconds: Int = 120) async throws -> ProcessOutput {
        try await runTool(try path(name), arguments, timeoutSeconds: timeoutSeconds)
    }
}

/// The deploy folder's files, by path below the repository's root.
enum DeployFile {
    /// The text of `path` (relative to the repository's root).
    static func text(_ path: String) throws -> String {
        try String(contentsOfFile: "\(repositoryRoot)/\(path)", encoding: .utf8)
    }

    /// The YAML document `path` holds.
    static func yaml(_ path: String) throws -> YAMLTree {
        YAMLTree(try Yams.load(yaml: try text(path)))
    }
}

/// A parsed YAML (or JSON) value, navigated by key and index; a missing key gives an empty
/// tree, so a chain of lookups fails only at the assertion that reads it.
struct YAMLTree: CustomStringConvertible {
    /// The parsed value (`[String: Any]`, `[Any]`, `String`, `Int`, `Bool`, `Double`) or nil.
    let value: Any?

    init(_ value: Any?) {
        self.value = value
    }

    /// The value under `key` of a mapping.
    subscript(key: String) -> YAMLTree {
        YAMLTree((value as? [String: Any])?[key])
    }

    /// The element at `index` of a sequence.
    subscript(index: Int) -> YAMLTree {
        guard let array = value as? [Any], array.indices.contains(index) else { return YAMLTree(nil) }
        return YAMLTree(array[index])
    }

    /// The value as text (numbers and booleans as YAML writes them).
    var string: String? {
        switch value {
        case let text as String: text
        case let number as Int: String(number)
        case let flag as Bool: String(flag)
        default: nil
        }
    }

    /// The value as an integer.
    var int: Int? { value as? Int }

    /// The value as a boolean.
    var bool: Bool? { value as? Bool }

    /// The elements of a sequence (none for anything else).
    var array: [YAMLTree] { (value as? [Any])?.map(YAMLTree.init) ?? [] }

    /// The entries of a mapping (none for anything else).
    var mapping: [String: YAMLTree] { (value as? [String: Any])?.mapValues(YAMLTree.init) ?? [:] }

    /// The elements of a sequence that are text.
    var strings: [String] { array.compactMap(\.string) }

    var description: String { value.map { "\($0)" } ?? "nil" }
}

/// A duration as Gateway.yaml writes it (`25s`, `500ms`, `1m`), in seconds.
func gatewayDurationSeconds(_ text: String) throws -> Double {
    let units: [(suffix: String, seconds: Double)] = [("ms", 0.001), ("s", 1), ("m", 60), ("h", 3600)]
    for unit in units where text.hasSuffix(unit.suffix) {
        if let number = Double(text.dropLast(unit.suffix.count)) { return number * unit.seconds }
    }
    throw TestFailure("not a duration: \(text)")
}

/// What `portico routes` prints for the configuration at `path`: the route table it serves.
func routeTable(ofConfig path: String) async throws -> String {
    let executable = try #require(ServeCommandTests.executable, "portico is not built")
    let result = try await runTool(executable, ["routes", "--config", path])
    guard result.status == 0 else { throw TestFailure("portico routes --config \(path): \(result.stderr)") }
    return String(decoding: result.stdout, as: UTF8.self)
}
