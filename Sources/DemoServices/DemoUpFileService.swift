import Foundation
public import GRPCCore
import SwiftProtobuf

/// `demo.upfile.v1.UpFileService`: the tutorial's upload. The file name comes from the first
/// message with a non-empty `name`; every message's `content` is appended in order (content
/// that arrives before the name is held until it does). Answers `state: "success"` once the
/// whole stream is stored.
///
/// A name starting with `slow-` makes the service slower than any client: it waits
/// ``slowMessageDelay`` before taking each message, which shows Portico's upload backpressure.
public struct DemoUpFileService: Demo_Upfile_V1_UpFileService.SimpleServiceProtocol {
    /// The directory uploads are written to.
    public let filesDirectory: String
    /// Told how many content bytes each upload has received.
    public let observer: DemoCallObserver?
    /// The pause before each message of a `slow-` upload.
    public static let slowMessageDelay = Duration.milliseconds(50)

    /// Creates the service.
    /// - Parameters:
    ///   - filesDirectory: The directory uploads are written to.
    ///   - observer: Told how many content bytes each upload has received.
    public init(filesDirectory: String, observer: DemoCallObserver? = nil) {
        self.filesDirectory = filesDirectory
        self.observer = observer
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
        var isSlow = false
        do {
            for try await message in request {
                observer?.recordProgress(method: "UpLoad", bytes: message.content.count)
                if file == nil, !message.name.isEmpty { isSlow = message.name.hasPrefix("slow-") }
                if isSlow { try await Task.sleep(for: Self.slowMessageDelay) }
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
