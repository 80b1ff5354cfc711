import Foundation

/// One protoc run and what it says.
extension ProtoCompiler {
    /// Runs `executable` over `files` with every root and import path; returns the set's bytes,
    /// or appends protoc's errors (file, line and column, under the YAML path of the entry the
    /// file belongs to) and returns nil.
    func run(
        _ executable: String,
        roots: [String],
        files: [(entry: Entry, path: String)],
        problems: inout [ConfigProblem]
    ) -> [UInt8]? {
        let manager = FileManager.default
        let work = NSTemporaryDirectory() + "portico-protoc-\(UUID().uuidString)"
        let bundle = work + "/bundled-imports.binpb"
        let output = work + "/compiled.binpb"
        let first = "protos[\(files[0].entry.index)]"
        do {
            try manager.createDirectory(atPath: work, withIntermediateDirectories: true)
            try Data(Self.bundledImports).write(to: URL(fileURLWithPath: bundle))
        } catch {
            problems.append(ConfigProblem(path: first, message: "cannot write protoc's input in \(work): \(error)"))
            return nil
        }
        defer { try? manager.removeItem(atPath: work) }

        var paths = self.importPaths.map(Self.normalized)
        for root in roots where !paths.contains(root) { paths.append(root) }
        let arguments =
            [
                "--include_imports", "--include_source_info", "--descriptor_set_in=\(bundle)",
                "--descriptor_set_out=\(output)",
            ]
            + paths.map { "--proto_path=\($0)" } + files.map(\.path)
        let result: (status: Int32, errors: String)
        do {
            result = try Self.execute(executable, arguments)
        } catch {
            problems.append(ConfigProblem(path: first, message: "cannot run \(executable): \(error)"))
            return nil
        }
        guard result.status == 0, let compiled = manager.contents(atPath: output) else {
            problems += Self.problems(in: result.errors, status: result.status, files: files, importPaths: paths)
            return nil
        }
        return [UInt8](compiled)
    }

    /// Runs the tool and waits for it (at most ``timeoutSeconds``); returns its exit status and what it
    /// wrote to standard error.
    static func execute(_ executable: String, _ arguments: [String]) throws -> (status: Int32, errors: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        let errors = Pipe()
        process.standardError = errors
        process.standardOutput = FileHandle.nullDevice
        process.standardInput = FileHandle.nullDevice
        try process.run()
        let watchdog = DispatchWorkItem { if process.isRunning { process.terminate() } }
        DispatchQueue.global().asyncAfter(deadline: .now() + .seconds(timeoutSeconds), execute: watchdog)
        // Read before waiting: a full pipe would otherwise stall protoc.
        let text = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        watchdog.cancel()
        if process.terminationReason == .uncaughtSignal {
            return (
                process.terminationStatus, "protoc did not finish within \(timeoutSeconds) s and was stopped\n" + text
            )
        }
        return (process.terminationStatus, text)
    }

    /// protoc's messages as problems: `name:line:column: message` lines name the file by its
    /// path on disk (found through the import paths), under the YAML path of the entry it
    /// belongs to (the first entry for an import's errors).
    static func problems(
        in errors: String,
        status: Int32,
        files: [(entry: Entry, path: String)],
        importPaths: [String]
    ) -> [ConfigProblem] {
        let lines = errors.split(separator: "\n").map(String.init).filter { !$0.isEmpty }
        guard !lines.isEmpty else {
            return [
                ConfigProblem(path: "protos[\(files[0].entry.index)]", message: "protoc exited with status \(status)")
            ]
        }
        return lines.map { line in
            let name = String(line.prefix { $0 != ":" })
            let disk =
                name.hasPrefix("/")
                ? name
                : importPaths.map { "\($0)/\(name)" }.first { FileManager.default.fileExists(atPath: $0) }
            let owner = files.first { $0.path == disk }?.entry ?? files[0].entry
            let message = disk.map { $0 + line.dropFirst(name.count) } ?? line
            return ConfigProblem(path: "protos[\(owner.index)]", message: message)
        }
    }
}
