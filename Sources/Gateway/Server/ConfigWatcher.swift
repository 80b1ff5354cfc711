import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// `watch: true`: reloads when the configuration file or a descriptor set it names changes.
///
/// Every ``pollInterval`` each file is looked at by its resolved path (symlinks followed anew
/// each time), inode, size and modification time. A Kubernetes ConfigMap volume updates by
/// swapping its `..data` symlink to a new directory at once: the resolved path and inode change,
/// even when size and time do not. A change is reloaded once the files have been still for
/// ``debounce`` (editors and `kubectl cp` write in several steps). The reload goes through
/// ``ConfigReloader`` like every other trigger: counted, logged, and a broken file changes
/// nothing (it is not tried again until the files change again).
///
/// The watcher runs for the server's life and follows the live configuration: with
/// `watch: false` it only keeps its record of the files, so turning `watch` on by SIGHUP or
/// `POST /reload` works too.
struct ConfigWatcher: Sendable {
    /// How the reload is made.
    let reloader: ConfigReloader
    /// How often the files are looked at.
    var pollInterval: Duration = .milliseconds(500)
    /// How long the files must be still before a change is reloaded.
    var debounce: Duration = .seconds(1)

    /// One file as last seen: nil when it could not be read.
    struct FileState: Equatable {
        /// The path after every symlink is resolved.
        var resolvedPath: String
        /// `st_dev`, `st_ino`, `st_size` and `st_mtim` (nanoseconds) of the resolved file.
        var device: UInt64
        var inode: UInt64
        var size: Int64
        var modified: Int64
    }

    /// Polls until the task is cancelled.
    func run() async {
        var seen = signature()
        var changedAt: ContinuousClock.Instant?
        while !Task.isCancelled {
            try? await Task.sleep(for: pollInterval)
            if Task.isCancelled { return }
            let now = signature()
            if now != seen {
                seen = now
                changedAt = .now
                continue
            }
            guard let since = changedAt, ContinuousClock.now - since >= debounce else { continue }
            changedAt = nil
            guard reloader.server.snapshot.config.watch else { continue }
            await reloader.reloadLogged(trigger: "watch")
            // The reload may name other descriptor sets: look at those from now on.
            seen = signature()
        }
    }

    /// The state of every watched file: the configuration, then each descriptor set, `.proto`
    /// file and folder, and each `.proto` file below such a folder.
    func signature() -> [FileState?] {
        let snapshot = reloader.server.snapshot
        let protos = snapshot.config.protos.flatMap { entry in
            let path = entry.hasPrefix("/") ? entry : snapshot.baseDirectory + "/" + entry
            guard ProtoCompiler.isFolder(path) else { return [path] }
            return [path] + (ProtoCompiler.protoFiles(path, importPaths: [])?.files ?? [])
        }
        return ([reloader.configPath] + protos).map(Self.state(of:))
    }

    /// The state of the file at `path`, symlinks resolved now.
    static func state(of path: String) -> FileState? {
        let resolved = realpath(path, nil).map { pointer in
            defer { free(pointer) }
            return String(cString: pointer)
        }
        // FileManager rather than stat(2): `struct stat` is declared by several C modules (Glibc,
        // CoreFoundation, NIO's shims) and which one Swift credits changes with the build's
        // dependencies, which member-import checking then refuses.
        guard let attributes = try? FileManager.default.attributesOfItem(atPath: resolved ?? path) else { return nil }
        let modified = (attributes[.modificationDate] as? Date)?.timeIntervalSince1970 ?? 0
        return FileState(
            resolvedPath: resolved ?? path,
            device: (attributes[.systemNumber] as? NSNumber)?.uint64Value ?? 0,
            inode: (attributes[.systemFileNumber] as? NSNumber)?.uint64Value ?? 0,
            size: (attributes[.size] as? NSNumber)?.int64Value ?? 0,
            modified: Int64((modified * 1_000_000_000).rounded())
        )
    }
}
