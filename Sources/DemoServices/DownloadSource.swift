import Foundation
import GRPCCore
import SwiftProtobuf

/// What `FileService.DownLoad` streams for one request name: a file on disk, or one of the
/// synthetic names that need no disk file (for benchmarks and error-path tests).
enum DownloadSource {
    /// The size of every chunk but the last.
    static let chunkSize = 1024
    // Disk reads are larger than chunks to keep the syscall count down on big files.
    private static let readSize = 64 * 1024
    private static let zeroChunk = Data(count: chunkSize)

    /// An open file on disk.
    case file(FileHandle)
    /// `zeros-<N>`: N zero bytes.
    case zeros(Int)
    /// `fail-after-<K>`: K chunks of zeros, then `ABORTED`.
    case failAfter(Int)
    /// `empty`: no messages at all.
    case empty

    /// Resolves `name`: synthetic names first, then `<directory>/<name>`, which is opened here
    /// so that a missing file fails before any response is sent.
    /// - Throws: `RPCError` `INVALID_ARGUMENT` for an invalid name, `NOT_FOUND` for a missing
    ///   or non-regular file.
    static func open(_ name: String, in directory: String) throws -> DownloadSource {
        try DemoFileNames.validate(name)
        if name == "empty" {
            return .empty
        }
        if let count = Self.number(after: "zeros-", in: name) {
            return .zeros(count)
        }
        if let chunks = Self.number(after: "fail-after-", in: name) {
            return .failAfter(chunks)
        }
        let path = DemoFileNames.path(of: name, in: directory)
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), !isDirectory.boolValue,
            let handle = FileHandle(forReadingAtPath: path)
        else {
            throw RPCError(code: .notFound, message: "file \(name) not found")
        }
        return .file(handle)
    }

    /// Writes the content as `FileResponse` chunks, awaiting each write so a slow reader slows
    /// the producer down instead of growing a buffer.
    /// - Throws: `RPCError` `ABORTED` for `fail-after-<K>`, `INTERNAL` when the file cannot be
    ///   read, and any error from the writer.
    func stream(name: String, to writer: RPCWriter<Demo_File_V1_FileResponse>) async throws {
        func chunk(_ content: Data) -> Demo_File_V1_FileResponse {
            .with {
                $0.name = name
                $0.content = content
            }
        }
        switch self {
        case .empty:
            return
        case .zeros(let total):
            var remaining = total
            while remaining > 0 {
                let size = min(remaining, Self.chunkSize)
                let content = size == Self.chunkSize ? Self.zeroChunk : Data(count: size)
                try await writer.write(chunk(content))
                remaining -= size
            }
        case .failAfter(let chunks):
            for _ in 0..<chunks {
                try await writer.write(chunk(Self.zeroChunk))
            }
            throw RPCError(code: .aborted, message: "failed after \(chunks) chunks")
        case .file(let handle):
            defer { try? handle.close() }
            var pending = Data()
            while true {
                let block: Data?
                do {
                    block = try handle.read(upToCount: Self.readSize)
                } catch {
                    throw RPCError(code: .internalError, message: "cannot read \(name)", cause: error)
                }
                guard let block, !block.isEmpty else { break }
                pending.append(block)
                var start = pending.startIndex
                while pending.endIndex - start >= Self.chunkSize {
                    try await writer.write(chunk(pending.subdata(in: start..<start + Self.chunkSize)))
                    start += Self.chunkSize
                }
                pending = pending.subdata(in: start..<pending.endIndex)
            }
            if !pending.isEmpty {
                try await writer.write(chunk(pending))
            }
        }
    }

    private static func number(after prefix: String, in name: String) -> Int? {
        guard name.hasPrefix(prefix), let value = Int(name.dropFirst(prefix.count)), value >= 0 else {
            return nil
        }
        return value
    }
}
