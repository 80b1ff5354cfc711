import Foundation
import GRPCCore

/// One upload in progress: chunks go to a hidden temporary file next to the target, which is
/// renamed over `<directory>/<name>` only when the stream completes, so a failed upload never
/// leaves a truncated file behind.
final class UploadFile {
    private let name: String
    private let finalPath: String
    private let temporaryPath: String
    private let handle: FileHandle

    /// Creates the temporary file for `name`.
    /// - Throws: `RPCError` `INVALID_ARGUMENT` for an invalid name, `INTERNAL` when the file
    ///   cannot be created.
    init(name: String, directory: String) throws {
        try DemoFileNames.validate(name)
        self.name = name
        self.finalPath = DemoFileNames.path(of: name, in: directory)
        self.temporaryPath = DemoFileNames.path(
            of: ".\(name).upload-\(UInt64.random(in: 0...UInt64.max))",
            in: directory
        )
        guard FileManager.default.createFile(atPath: self.temporaryPath, contents: nil),
            let handle = FileHandle(forWritingAtPath: self.temporaryPath)
        else {
            throw RPCError(code: .internalError, message: "cannot create \(name)")
        }
        self.handle = handle
    }

    /// Appends `content`.
    /// - Throws: `RPCError` `INTERNAL` when the write fails.
    func append(_ content: Data) throws {
        guard !content.isEmpty else { return }
        do {
            try self.handle.write(contentsOf: content)
        } catch {
            throw RPCError(code: .internalError, message: "cannot write \(self.name)", cause: error)
        }
    }

    /// Closes the file and moves it to its final name, replacing any earlier file.
    /// - Throws: `RPCError` `INTERNAL` when closing or renaming fails.
    func commit() throws {
        do {
            try self.handle.close()
        } catch {
            self.discard()
            throw RPCError(code: .internalError, message: "cannot store \(self.name)", cause: error)
        }
        if rename(self.temporaryPath, self.finalPath) != 0 {
            let code = errno
            self.discard()
            throw RPCError(code: .internalError, message: "cannot store \(self.name) (errno \(code))")
        }
    }

    /// Closes and deletes the temporary file.
    func discard() {
        try? self.handle.close()
        try? FileManager.default.removeItem(atPath: self.temporaryPath)
    }
}
