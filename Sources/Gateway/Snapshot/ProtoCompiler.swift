import Foundation

/// Compiles the `.proto` entries of `protos:` (files, and folders of them) into one descriptor
/// set with `protoc --include_imports --include_source_info`, as a user would by hand, when the
/// configuration loads (and on every reload).
///
/// Each entry's files are named relative to the longest `protoPaths:` folder holding them, or
/// else to the folder the entry names (a file's own folder), and every such folder is an import
/// path. `google/api`, `google/rpc` and the well-known `google/protobuf` files resolve from a
/// descriptor set built into portico (`--descriptor_set_in`), so configurations need not ship
/// them. Errors come back as ``ConfigProblem``s under the entry's YAML path, each with the file,
/// line and column protoc names.
struct ProtoCompiler {
    /// One `.proto` entry of `protos:`.
    struct Entry {
        /// Its index in `protos:` (for the YAML path of its problems).
        var index: Int
        /// Its path, resolved against the configuration's folder.
        var path: String
    }

    /// The imports every entry may use without shipping them (google/api, google/rpc,
    /// google/protobuf), as a serialized FileDescriptorSet.
    static let bundledImports: [UInt8] = Array(
        Data(base64Encoded: bundledImportsDescriptorSetBase64, options: .ignoreUnknownCharacters) ?? Data()
    )

    /// How many seconds one compile may take before it is stopped and reported.
    static let timeoutSeconds = 60

    /// `protoc:` as configured (a path resolved, or a name looked up on `PATH`); nil = `protoc`.
    var protoc: String?
    /// `protoPaths:` resolved, in order.
    var importPaths: [String]
    /// Where a protoc named without a folder is looked for (`PATH`'s folders).
    var searchPath = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin"

    /// Creates a compiler for `protoc` (nil: `protoc` on `PATH`) and `importPaths`.
    init(protoc: String?, importPaths: [String]) {
        self.protoc = protoc
        self.importPaths = importPaths
    }

    /// Whether `path` names something to compile: a `.proto` file or a folder.
    static func isSource(_ path: String) -> Bool {
        path.hasSuffix(".proto") || isFolder(path)
    }

    /// Whether a folder is at `path` (symlinks followed).
    static func isFolder(_ path: String) -> Bool {
        var isFolder: ObjCBool = false
        return FileManager.default.fileExists(atPath: path, isDirectory: &isFolder) && isFolder.boolValue
    }

    /// Compiles `entries` in one protoc run; returns the descriptor set's bytes, or appends
    /// every problem to `problems` and returns nil.
    func compile(_ entries: [Entry], problems: inout [ConfigProblem]) -> [UInt8]? {
        guard let first = entries.first else { return nil }
        guard let executable = self.executable() else {
            switch self.protoc {
            case let configured? where configured.contains("/"):
                problems.append(
                    ConfigProblem(path: "protoc", message: "protoc \(configured) is not an executable file")
                )
            case let configured?:
                problems.append(ConfigProblem(path: "protoc", message: "\(configured) is not on PATH"))
            case nil:
                let message =
                    "protoc is not on PATH; it compiles the .proto entries of protos: (Debian/Ubuntu: "
                    + "apt-get install protobuf-compiler), or set protoc: to its path"
                problems.append(ConfigProblem(path: "protos[\(first.index)]", message: message))
            }
            return nil
        }
        let earlier = problems.count
        for (i, folder) in self.importPaths.enumerated() {
            if !Self.isFolder(folder) {
                problems.append(ConfigProblem(path: "protoPaths[\(i)]", message: "no such folder: \(folder)"))
            }
        }
        var roots: [String] = []
        var files: [(entry: Entry, path: String)] = []
        for entry in entries {
            let found = Self.protoFiles(entry.path, importPaths: self.importPaths)
            guard let found, !found.files.isEmpty else {
                let message =
                    found == nil ? "no such .proto file or folder: \(entry.path)" : "no .proto file in \(entry.path)"
                problems.append(ConfigProblem(path: "protos[\(entry.index)]", message: message))
                continue
            }
            if !roots.contains(found.root) { roots.append(found.root) }
            files += found.files.map { (entry, $0) }
        }
        guard problems.count == earlier else { return nil }
        return self.run(executable, roots: roots, files: files, problems: &problems)
    }

    /// The protoc to run: the configured path if it is executable, a configured bare name or
    /// `protoc` looked up on `PATH`.
    func executable() -> String? {
        let manager = FileManager.default
        let name = self.protoc ?? "protoc"
        if name.contains("/") { return manager.isExecutableFile(atPath: name) ? name : nil }
        return self.searchPath.split(separator: ":").map { "\($0)/\(name)" }.first {
            manager.isExecutableFile(atPath: $0)
        }
    }

    /// The folder `path`'s files are named relative to and the files themselves (a file: itself;
    /// a folder: every `.proto` below it, sorted), with paths made absolute and normalized the
    /// same way, because protoc matches a file to its import path by text. Nil when nothing is
    /// at `path`.
    static func protoFiles(_ path: String, importPaths: [String]) -> (root: String, files: [String])? {
        let manager = FileManager.default
        let absolute = normalized(path)
        var isFolder: ObjCBool = false
        guard manager.fileExists(atPath: absolute, isDirectory: &isFolder) else { return nil }
        let covering = importPaths.map(normalized).filter { absolute.hasPrefix($0 + "/") }.max { $0.count < $1.count }
        guard isFolder.boolValue else {
            return (covering ?? (absolute as NSString).deletingLastPathComponent, [absolute])
        }
        let below = (manager.enumerator(atPath: absolute)?.allObjects as? [String] ?? [])
            .filter { $0.hasSuffix(".proto") }
            .sorted()
            .map { "\(absolute)/\($0)" }
        return (covering ?? absolute, below)
    }

    /// `path` made absolute and free of `.`/`..` and doubled slashes, symlinks kept (a
    /// Kubernetes ConfigMap's files are symlinks into a folder that changes on every update).
    static func normalized(_ path: String) -> String {
        let absolute = path.hasPrefix("/") ? path : FileManager.default.currentDirectoryPath + "/" + path
        return URL(fileURLWithPath: absolute).standardized.path
    }
}
