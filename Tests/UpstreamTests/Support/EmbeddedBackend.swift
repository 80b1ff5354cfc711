import Logging
import NIOCore
import NIOEmbedded
import NIOHTTP2

@testable import Upstream

/// An ``UpstreamConnection`` in an `EmbeddedChannel` wired to a swift-nio-http2 server in another,
/// both on one `EmbeddedEventLoop`: no socket, and time moves only with `advanceTime`.
final class EmbeddedBackend {
    let loop: EmbeddedEventLoop
    let client: EmbeddedChannel
    let server: EmbeddedChannel
    let connection: UpstreamConnection
    /// Frames the server received, oldest first.
    private(set) var serverFrames: [HTTP2Frame] = []

    /// Creates the pair; nothing is exchanged until ``exchange()``.
    /// - Parameters:
    ///   - configuration: The connection's configuration.
    ///   - loop: The loop both channels run on.
    init(configuration: UpstreamConfiguration, loop: EmbeddedEventLoop = EmbeddedEventLoop()) throws {
        self.loop = loop
        self.client = EmbeddedChannel(loop: loop)
        self.connection = UpstreamConnection(
            target: EmbeddedBackend.target,
            configuration: configuration,
            logger: Logger(label: "embedded-backend")
        )
        try self.client.pipeline.syncOperations.addHandler(self.connection)
        self.server = EmbeddedChannel(handler: NIOHTTP2Handler(mode: .server), loop: loop)
        try self.client.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 1)).wait()
        try self.server.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 2)).wait()
    }

    static let target = UpstreamTarget(host: "127.0.0.1", port: 1)

    /// Moves bytes both ways until neither side has anything more to say.
    func exchange() throws {
        var moved = true
        while moved {
            moved = false
            self.loop.run()
            // writeInbound also fires channelReadComplete, where both sides flush.
            while let bytes = try self.client.readOutbound(as: ByteBuffer.self) {
                try self.server.writeInbound(bytes)
                moved = true
            }
            while let frame = try self.server.readInbound(as: HTTP2Frame.self) {
                self.serverFrames.append(frame)
            }
            while let data = try self.server.readOutbound(as: IOData.self), self.client.isActive {
                guard case .byteBuffer(let bytes) = data else { continue }
                try self.client.writeInbound(bytes)
                moved = true
            }
        }
    }

    /// Removes and returns the frames the server received since the last call.
    func takeServerFrames() -> [HTTP2Frame.FramePayload] {
        defer { self.serverFrames.removeAll() }
        return self.serverFrames.map(\.payload)
    }

    /// Closes both channels.
    func finish() {
        _ = try? self.client.finish()
        _ = try? self.server.finish()
    }
}

/// A delegate that records what a call delivered; loop-confined.
final class RecordingCallDelegate: UpstreamCallDelegate {
    private(set) var headers: [(name: String, value: String)]?
    private(set) var messages: [ByteBuffer] = []
    private(set) var status: GRPCStatus?
    private(set) var finishCount = 0

    func upstreamCall(_ call: UpstreamCall, didReceiveHeaders headers: [(name: String, value: String)]) {
        self.headers = headers
    }

    func upstreamCall(_ call: UpstreamCall, didReceiveMessage message: ByteBuffer) {
        self.messages.append(message)
    }

    func upstreamCall(_ call: UpstreamCall, didFinishWith status: GRPCStatus, trailers: [(name: String, value: String)])
    {
        self.status = status
        self.finishCount += 1
    }
}

extension HTTP2Frame.FramePayload {
    /// Whether this is a PING that is not an acknowledgement.
    var isPingRequest: Bool {
        if case .ping(_, let ack) = self { return !ack }
        return false
    }

    /// The error code of a RST_STREAM.
    var resetCode: HTTP2ErrorCode? {
        if case .rstStream(let code) = self { return code }
        return nil
    }

    /// The header block of a HEADERS frame.
    var headerBlock: [(name: String, value: String)]? {
        if case .headers(let headers) = self { return headers.headers.map { ($0.name, $0.value) } }
        return nil
    }
}
