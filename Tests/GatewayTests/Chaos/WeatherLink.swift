import Foundation
import NIOConcurrencyHelpers

/// `scripts/weather-link.py` running in the link's namespace: the bridge that forwards frames
/// between the two hosts with the current ``Weather``, and cuts them off on a partition. Talked
/// to over its standard input and output, one command and one answer per line.
final class WeatherLink: Sendable {
    private let process: Process
    private let commands: FileHandle
    private let answers: FileHandle
    private let lock = NIOLock()

    private init(process: Process, commands: FileHandle, answers: FileHandle) {
        self.process = process
        self.commands = commands
        self.answers = answers
    }

    /// Starts the bridge between `interfaces` inside `namespace` and waits for its `ready`.
    static func start(namespace: String, interfaces: (String, String)) throws -> WeatherLink {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: ChaosShell.path(of: "ip") ?? "/usr/sbin/ip")
        process.arguments = [
            "netns", "exec", namespace, "python3", repositoryRoot + "/scripts/weather-link.py",
            interfaces.0, interfaces.1,
        ]
        let input = Pipe()
        let output = Pipe()
        process.standardInput = input
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        try process.run()
        let link = WeatherLink(
            process: process,
            commands: input.fileHandleForWriting,
            answers: output.fileHandleForReading
        )
        let greeting = try link.readLine(within: 10)
        guard greeting == "ready" else {
            link.stop()
            throw TestFailure("weather-link.py did not start: \(greeting)")
        }
        return link
    }

    /// Sets the weather (what it was is forgotten; a partition stays until healed).
    func apply(_ weather: Weather) throws {
        try send(weather.command)
    }

    /// What the bridge has done so far: `forwarded=… lost=… partitioned=… reordered=…`.
    func stats() throws -> String {
        try send("stats")
    }

    /// Sends one command and returns the answer; throws on `error …` or a dead bridge.
    @discardableResult
    func send(_ command: String) throws -> String {
        try lock.withLock {
            guard process.isRunning else { throw TestFailure("weather-link.py has exited") }
            try commands.write(contentsOf: Data((command + "\n").utf8))
            let answer = try readLine(within: 5)
            if answer.hasPrefix("error") { throw TestFailure("weather-link.py: \(answer) (to \(command))") }
            return answer
        }
    }

    /// Stops the bridge (closing its input ends it) and waits for it.
    func stop() {
        try? commands.close()
        if process.isRunning { process.terminate() }
        process.waitUntilExit()
    }

    /// One line of the bridge's output, waiting at most `seconds` for it.
    private func readLine(within seconds: Double) throws -> String {
        var line: [UInt8] = []
        let deadline = Date().addingTimeInterval(seconds)
        var descriptor = pollfd(fd: answers.fileDescriptor, events: Int16(POLLIN), revents: 0)
        while true {
            let left = Int32(max(0, deadline.timeIntervalSinceNow * 1000))
            guard poll(&descriptor, 1, left) > 0 else { throw TestFailure("weather-link.py did not answer") }
            var byte: UInt8 = 0
            guard read(answers.fileDescriptor, &byte, 1) == 1 else { throw TestFailure("weather-link.py has exited") }
            if byte == UInt8(ascii: "\n") { return String(decoding: line, as: UTF8.self) }
            line.append(byte)
        }
    }
}

/// Runs the tools chaos tests need (`ip`, processes in namespaces), synchronously.
enum ChaosShell {
    /// The full path of `tool` in PATH or the sbin folders (a root shell's PATH may lack them).
    static func path(of tool: String) -> String? {
        let folders = (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":").map(String.init)
        return (folders + ["/usr/sbin", "/sbin", "/usr/bin", "/bin"]).map { $0 + "/" + tool }
            .first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    /// Runs `executable` with `arguments`; its exit status and its output (stdout and stderr).
    static func run(_ executable: String, _ arguments: [String]) -> (status: Int32, output: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        let output = Pipe()
        process.standardOutput = output
        process.standardError = output
        do {
            try process.run()
        } catch {
            return (-1, "\(error)")
        }
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: data, as: UTF8.self))
    }

    /// Runs `ip` with `arguments`; throws with its output when it fails.
    static func ip(_ arguments: [String]) throws {
        let result = run(path(of: "ip") ?? "ip", arguments)
        guard result.status == 0 else {
            throw TestFailure("ip \(arguments.joined(separator: " ")) failed: \(result.output)")
        }
    }
}
