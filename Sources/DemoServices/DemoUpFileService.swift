import Foundation
public import GRPCCore
import SwiftProtobuf

/// `demo.upfile.v1.UpFileService`: the tutorial's upload. The file name comes from the first
/// message with a non-empty `name`; every message's `content` is appended in order (content
/// that arrives before the name is held until it does). Answers `state: "success"` once the
/// whole stream is stored.
public struct DemoUpFileService: Demo_Upfile_V1_UpFileService.SimpleServiceProtocol {
    /// The directory uploads are written to.
    public let filesDirectory: String

    /// Creates the service.
    /// - Parameter filesDirectory: The directory uploads are written to.
    public init(filesDirectory: String) {
        self.filesDirectory = filesDirectory
    }

    /// Stores the uploaded chunks under their name, creating or replacing the file.
    /// - Throws: `RPCError` `INVALID_ARGUMENT` when no message names the file or the name is
    ///   invalid; `INTERNAL` on I/O failure; the request stream's error if it fails.
    public func upLoad(
        request: RPCAsyncSequence<Demo_Upfile_V1_UpFileRequest, any Error>,
        context: ServerContext
    ) async throws -> Demo_Upfile_V1_UpFileResponse {
        var file: UploadFile?
        var early = Data()
        do {
            for try await message in request {
                if let file {
                    try file.append(message.content)
                } else if !message.name.isEmpty {
                    let opened = try UploadFile(name: message.name, directory: self.filesDirectory)
                    file = opened
                    try opened.append(early)
                    try opened.append(message.content)
                    early = Data()
                } else {
                    early.append(message.content)
                }
            }
            guard let file else {
                throw RPCError(code: .invalidArgument, message: "upload names no file")
            }
            try file.commit()
        } catch {
            file?.discard()
            throw error
        }
        return .with { $0.state = "success" }
    }
}
