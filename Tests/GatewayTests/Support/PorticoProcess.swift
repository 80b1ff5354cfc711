import Foundation

/// Starts the built `portico` with `arguments` in its own process: standard error into a new
/// file at `log` (where `CommandLineTests.listeningPort(log:)` and the admin port's reader find
/// what it says), standard output discarded. With `unprivileged`, a root test run starts it as
/// `nobody` (setpriv), the way deployments run it; the caller terminates and waits for it.
func startPortico(_ arguments: [String], log: String, unprivileged: Bool = false) throws -> Process {
    guard let executable = ServeCommandTests.executable else { throw TestFailure("portico is not built") }
    _ = FileManager.default.createFile(atPath: log, contents: nil)
    let process = Process()
    if unprivileged && getuid() == 0 {
        // nobody: no capability, no file of its own.
        process.executableURL = URL(fileURLWithPath: "/usr/bin/setpriv")
        process.arguments = ["--reuid=65534", "--regid=65534", "--clear-groups", executable] + arguments
    } else {
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
    }
    process.standardOutput = FileHandle.nullDevice
    process.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: log))
    try process.run()
    return process
}

/// The first line of the log file at `log` that contains `phrase`, waiting up to 10 s for it.
func loggedLine(containing phrase: String, in log: String) async throws -> Substring {
    for _ in 0..<200 {
        let text = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
        if let line = text.split(separator: "\n").first(where: { $0.contains(phrase) }) { return line }
        try await Task.sleep(for: .milliseconds(50))
    }
    throw TestFailure("portico never logged \"\(phrase)\"")
}
