import Foundation
import Gateway
import Testing

/// One `$ ` command line of a README ```console block, with the lines the README shows after it.
///
/// A command runs to the end of its line, or further while lines end in `\` (shell
/// continuation). What it shows are the lines after it up to the next `$ ` line, the next
/// comment-only line (`# ...`) or the end of the block, less trailing blank lines: blank lines
/// inside are output (the one between `curl -i`'s headers and body, the ones between SSE events).
struct ReadmeCommand: Sendable, CustomTestStringConvertible {
    /// How the test treats a command.
    enum Kind: Sendable, Equatable {
        /// Runs with stdin closed; its stdout must be what the README shows.
        case run
        /// Has no curl in it (`head -c 5000000 /dev/urandom > big.bin`): runs, and must print
        /// what the README shows, before each later command of its block, which may need its files.
        case setup
        /// `curl ... -T - ...` reading the terminal: the README shows the lines typed and the
        /// replies alternately, starting with a typed line. The typed lines go to stdin.
        case terminalSession
        /// Not runnable by this test, for the reason given.
        case skipped(String)
    }

    /// The command after `$ `, continuation lines included (joined with newlines).
    var text: String
    /// The README line number of the `$ ` line.
    var line: Int
    /// The lines the README shows after the command.
    var shown: [String]
    /// How the test treats it.
    var kind: Kind
    /// The block's `.setup` commands before this one, to run first.
    var setup: [ReadmeCommand] = []

    /// What the command reads on stdin.
    var stdinLines: [String] {
        kind == .terminalSession ? shown.enumerated().filter { $0.offset % 2 == 0 }.map(\.element) : []
    }

    /// What the command must print.
    var expectedLines: [String] {
        kind == .terminalSession ? shown.enumerated().filter { $0.offset % 2 == 1 }.map(\.element) : shown
    }

    /// `README.md:<line> $ <command>`, so a failing case names its command.
    var testDescription: String { "README.md:\(line) $ \(text)" }

    /// Every `$ ` command of the README's console blocks, in order.
    static let all: [ReadmeCommand] = ReadmeDocument.repository.blocks("console").flatMap(parse)

    /// The commands a test runs as cases of their own.
    static var runnable: [ReadmeCommand] {
        all.filter { $0.kind == .run || $0.kind == .terminalSession }
    }

    /// The commands of one console block.
    static func parse(_ block: ReadmeDocument.CodeBlock) -> [ReadmeCommand] {
        var commands: [ReadmeCommand] = []
        var setup: [ReadmeCommand] = []
        let lines = block.lines
        var index = 0
        while index < lines.count {
            guard lines[index].hasPrefix("$ ") else {
                index += 1
                continue
            }
            let start = index
            var text = String(lines[index].dropFirst(2))
            index += 1
            while text.hasSuffix("\\"), index < lines.count {
                text += "\n" + lines[index]
                index += 1
            }
            var shown: [String] = []
            while index < lines.count, !lines[index].hasPrefix("$ "), !lines[index].hasPrefix("#") {
                shown.append(lines[index])
                index += 1
            }
            while shown.last?.trimmingCharacters(in: .whitespaces).isEmpty == true { shown.removeLast() }
            var command = ReadmeCommand(
                text: text,
                line: block.firstLine + start,
                shown: shown,
                kind: kind(of: text),
                setup: setup
            )
            if command.kind == .setup {
                command.setup = []
                setup.append(command)
            }
            commands.append(command)
        }
        return commands
    }

    private static func kind(of text: String) -> Kind {
        if text.hasPrefix("python3 -m websockets") {
            return .skipped("a WebSocket session in Python's websockets client, not curl")
        }
        if !text.contains("curl ") { return .setup }
        if text.contains(" -T - "), !text.contains("|") { return .terminalSession }
        return .run
    }
}

/// How README output lines are compared with what a command printed.
///
/// Lines must be equal, with one placeholder: `..."` in a README line stands for any characters
/// up to and including the closing `"` of the JSON string it is in, so
/// `{"name":"sample.bin","content":"AAECAwQF..."}` matches every chunk of `sample.bin` whose
/// base64 starts with `AAECAwQF`, and `"..."` matches any one string. Nothing else is loose.
enum ReadmeOutput {
    /// Stdout as lines: CRLF line ends (curl -i's head) read as LF; trailing blank lines dropped,
    /// as the README cannot show them.
    static func lines(of stdout: [UInt8]) -> [String] {
        let text = String(decoding: stdout, as: UTF8.self).replacingOccurrences(of: "\r\n", with: "\n")
        var lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        while lines.last?.isEmpty == true { lines.removeLast() }
        return lines
    }

    /// Whether `actual` is what `expected` shows, line by line.
    static func matches(_ actual: [String], _ expected: [String]) -> Bool {
        actual.count == expected.count && zip(actual, expected).allSatisfy(lineMatches)
    }

    /// Whether one printed line is what one README line shows.
    static func lineMatches(_ actual: String, _ expected: String) -> Bool {
        let parts = expected.components(separatedBy: "...\"")
        var rest = Substring(actual)
        for (index, part) in parts.enumerated() {
            if index > 0 {
                // Skip the rest of the JSON string, through its closing quote.
                var escaped = false
                guard
                    let close = rest.firstIndex(where: { character in
                        defer { escaped = character == "\\" && !escaped }
                        return character == "\"" && !escaped
                    })
                else { return false }
                rest = rest[rest.index(after: close)...]
            }
            guard rest.hasPrefix(part) else { return false }
            rest = rest.dropFirst(part.count)
        }
        return rest.isEmpty
    }
}

/// The gateway `make run` starts, rebuilt for a test: the repository's `Gateway.yaml` with the
/// backend at the test's demo backend, for `withGateway(replacingBackends:)`.
enum ReadmeGateway {
    /// `Gateway.yaml` without `listen` and `protos` (the harness sets both: a free port and the
    /// same descriptor set), its backend endpoint as the harness's `PORT` placeholder.
    /// - Throws: When `Gateway.yaml` no longer has what this relies on.
    static func configurationBody() throws -> String {
        let path = repositoryRoot + "/Gateway.yaml"
        let text = try String(contentsOfFile: path, encoding: .utf8)
        let shipped = try GatewayConfig.parse(yaml: text)
        try #require(shipped.protos == ["Protos/demo.binpb"], "the harness loads Protos/demo.binpb")
        try #require(shipped.listen.port == 8080, "the README's commands go to localhost:8080")
        var kept: [String] = []
        var skipping = false
        for line in text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init) {
            let topLevel = !line.isEmpty && !line.hasPrefix(" ") && !line.hasPrefix("#") && !line.hasPrefix("-")
            // The harness picks the addresses; the admin listener's fixed port is left out.
            if topLevel {
                skipping = line.hasPrefix("listen:") || line.hasPrefix("protos:") || line.hasPrefix("admin:")
            }
            if !skipping { kept.append(line) }
        }
        let body = kept.joined(separator: "\n")
        let endpoint = "127.0.0.1:50051"
        try #require(body.components(separatedBy: endpoint).count == 2, "Gateway.yaml names \(endpoint) once")
        return body.replacingOccurrences(of: endpoint, with: "127.0.0.1:PORT")
    }

    /// A temporary working directory for README commands whose `demo-files/` is the harness's
    /// files directory, filled with the repository's `demo-files/` as `make run` serves them,
    /// and whose `scripts/` and `demo/` are the repository's.
    static func workspace(for harness: GatewayHarness) throws -> String {
        let manager = FileManager.default
        let source = repositoryRoot + "/demo-files"
        for name in try manager.contentsOfDirectory(atPath: source) {
            try manager.copyItem(atPath: source + "/" + name, toPath: harness.filesDirectory + "/" + name)
        }
        let directory = NSTemporaryDirectory() + "portico-readme-\(UUID().uuidString)"
        try manager.createDirectory(atPath: directory, withIntermediateDirectories: true)
        try manager.createSymbolicLink(atPath: directory + "/demo-files", withDestinationPath: harness.filesDirectory)
        // `scripts/demo-jwt.sh token ...` mints the demo's tokens with `demo/jwt/`'s key.
        for name in ["scripts", "demo"] {
            try manager.createSymbolicLink(
                atPath: directory + "/" + name,
                withDestinationPath: repositoryRoot + "/" + name
            )
        }
        return directory
    }

    /// Runs `command` with `/bin/sh -c` in `directory`, `localhost:8080` pointing at `port`.
    static func run(_ command: ReadmeCommand, in directory: String, port: Int) async throws -> ProcessOutput {
        let text = command.text.replacingOccurrences(of: "localhost:8080", with: "localhost:\(port)")
        let input = command.stdinLines.isEmpty ? [] : Array((command.stdinLines.joined(separator: "\n") + "\n").utf8)
        return try await runTool("env", ["-C", directory, "/bin/sh", "-c", text], input: input, timeoutSeconds: 60)
    }
}
