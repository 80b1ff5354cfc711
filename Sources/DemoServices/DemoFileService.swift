public import GRPCCore

/// `demo.file.v1.FileService`: the tutorial's download, streaming `<filesDirectory>/<name>` as
/// 1024-byte `FileResponse` chunks (the last one shorter).
///
/// Besides disk files it serves synthetic names: `zeros-<N>` (N zero bytes), `fail-after-<K>`
/// (K chunks, then `ABORTED` "failed after K chunks") and `empty` (no messages). These shadow
/// disk files of the same name.
public struct DemoFileService: Demo_File_V1_FileService.ServiceProtocol {
    /// The directory files are served from.
    public let filesDirectory: String
    /// Told when a download is cancelled by its client.
    public let observer: DemoCallObserver?

    /// Creates the service.
    /// - Parameters:
    ///   - filesDirectory: The directory files are served from.
    ///   - observer: Told when a download is cancelled by its client.
    public init(filesDirectory: String, observer: DemoCallObserver? = nil) {
        self.filesDirectory = filesDirectory
        self.observer = observer
    }

    /// Streams the requested file.
    ///
    /// Name and file problems are reported before any response headers (a trailers-only
    /// response): `INVALID_ARGUMENT` for names that are empty or contain `/` or `..`,
    /// `NOT_FOUND` for missing files.
    public func downLoad(
        request: ServerRequest<Demo_File_V1_FileRequest>,
        context: ServerContext
    ) async throws -> StreamingServerResponse<Demo_File_V1_FileResponse> {
        let name = request.message.name
        let source: DownloadSource
        do {
            source = try DownloadSource.open(name, in: self.filesDirectory)
        } catch let error as RPCError {
            return StreamingServerResponse(error: error)
        }
        let observer = self.observer
        return StreamingServerResponse { writer in
            let counted =
                observer.map { RPCWriter(wrapping: ProgressCountingWriter(base: writer, observer: $0)) } ?? writer
            // grpc-swift reports a client's RST_STREAM as an RPC cancellation, not a task one.
            try await withRPCCancellationHandler {
                try await source.stream(name: name, to: counted)
            } onCancelRPC: {
                observer?.recordCancellation(method: "DownLoad", subject: name)
            }
            return [:]
        }
    }
}

/// Passes responses on and tells the observer how many content bytes went out.
private struct ProgressCountingWriter: RPCWriterProtocol {
    let base: RPCWriter<Demo_File_V1_FileResponse>
    let observer: DemoCallObserver

    func write(_ element: Demo_File_V1_FileResponse) async throws {
        try await base.write(element)
        observer.recordProgress(method: "DownLoad", bytes: element.content.count)
    }

    func write(contentsOf elements: some Sequence<Demo_File_V1_FileResponse>) async throws {
        for element in elements { try await write(element) }
    }
}
