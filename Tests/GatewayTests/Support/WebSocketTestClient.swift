import NIOConcurrencyHelpers
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOWebSocket

/// A frame (or the end of the connection) as a WebSocket client sees it.
enum WebSocketEvent: Sendable, Equatable {
    case text(String)
    case binary([UInt8])
    case close(code: Int, reason: String)
    case pong([UInt8])
    case closed
}

/// A real WebSocket client over NIO: performs the HTTP/1.1 upgrade handshake, sends masked
/// frames and reports every frame the server sends, so tests can interleave both directions.
final class WebSocketTestClient: Sendable {
    private let channel: any Channel
    let events: AsyncStream<WebSocketEvent>
    /// The header fields of the server's `101 Switching Protocols`.
    let handshakeHeaders: HTTPHeaders

    private init(channel: any Channel, events: AsyncStream<WebSocketEvent>, handshakeHeaders: HTTPHeaders) {
        self.channel = channel
        self.events = events
        self.handshakeHeaders = handshakeHeaders
    }

    /// Connects to `path` and completes the upgrade (throws if the server refuses it).
    static func connect(port: Int, path: String, headers: [(String, String)] = []) async throws -> WebSocketTestClient {
        let (stream, continuation) = AsyncStream.makeStream(of: WebSocketEvent.self)
        let upgraded = MultiThreadedEventLoopGroup.singleton.next().makePromise(of: Void.self)
        let handshake = NIOLockedValueBox(HTTPHeaders())
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .channelOption(.tcpOption(.tcp_nodelay), value: 1)
            .channelInitializer { channel in
                let upgrader = NIOWebSocketClientUpgrader(
                    maxFrameSize: 1 << 24,
                    automaticErrorHandling: false,
                    upgradePipelineHandler: { channel, response in
                        handshake.withLockedValue { $0 = response.headers }
                        return channel.eventLoop.makeCompletedFuture {
                            try channel.pipeline.syncOperations.addHandler(FrameForwarder(continuation: continuation))
                            // Here, not in the completion handler, which NIO calls first: the
                            // 101's headers are known once this runs.
                            upgraded.succeed()
                        }
                    }
                )
                let watcher = UpgradeFailureWatcher(upgraded: upgraded)
                return channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHTTPClientHandlers(
                        leftOverBytesStrategy: .forwardBytes,
                        withClientUpgrade: (
                            upgraders: [upgrader],
                            completionHandler: { context in
                                context.pipeline.syncOperations.removeHandler(watcher, promise: nil)
                            }
                        )
                    )
                    try channel.pipeline.syncOperations.addHandler(watcher)
                }
            }
            .connect(host: "127.0.0.1", port: port).get()
        var head = HTTPRequestHead(version: .http1_1, method: .GET, uri: path)
        head.headers.add(name: "Host", value: "localhost")
        head.headers.add(name: "Content-Length", value: "0")
        for (name, value) in headers { head.headers.add(name: name, value: value) }
        channel.write(HTTPClientRequestPart.head(head), promise: nil)
        try await channel.writeAndFlush(HTTPClientRequestPart.end(nil)).get()
        do {
            try await upgraded.futureResult.get()
        } catch {
            try? await channel.close()
            throw error
        }
        return WebSocketTestClient(
            channel: channel,
            events: stream,
            handshakeHeaders: handshake.withLockedValue { $0 }
        )
    }

    /// Sends a text frame.
    func send(text: String) async throws {
        try await send(opcode: .text, bytes: Array(text.utf8))
    }

    /// Sends a binary frame.
    func send(binary: [UInt8]) async throws {
        try await send(opcode: .binary, bytes: binary)
    }

    /// Sends a ping.
    func ping(_ payload: [UInt8]) async throws {
        try await send(opcode: .ping, bytes: payload)
    }

    /// Sends a close frame (the session stays open until the server closes it).
    func sendClose(code: Int = 1000) async throws {
        var data = ByteBuffer()
        data.write(webSocketErrorCode: WebSocketErrorCode(codeNumber: code))
        try await send(opcode: .connectionClose, bytes: Array(data.readableBytesView))
    }

    /// Sends one frame, masked as clients must.
    func send(opcode: WebSocketOpcode, bytes: [UInt8], fin: Bool = true) async throws {
        let frame = WebSocketFrame(fin: fin, opcode: opcode, maskKey: .random(), data: ByteBuffer(bytes: bytes))
        try await channel.writeAndFlush(frame).get()
    }

    /// Stops reading from the socket (a client that stalls).
    func stopReading() async throws {
        try await channel.setOption(.autoRead, value: false).get()
    }

    /// Drops the TCP connection without a close frame.
    func close() async {
        try? await channel.close()
    }
}

/// Fails the upgrade promise when the server answers with something other than `101`.
private final class UpgradeFailureWatcher: ChannelInboundHandler, RemovableChannelHandler, Sendable {
    typealias InboundIn = HTTPClientResponsePart
    private let upgraded: EventLoopPromise<Void>

    init(upgraded: EventLoopPromise<Void>) {
        self.upgraded = upgraded
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        upgraded.fail(error)
    }

    func channelInactive(context: ChannelHandlerContext) {
        upgraded.fail(ChannelError.inputClosed)
        context.fireChannelInactive()
    }
}

/// Turns frames into ``WebSocketEvent``s.
private final class FrameForwarder: ChannelInboundHandler, Sendable {
    typealias InboundIn = WebSocketFrame
    private let continuation: AsyncStream<WebSocketEvent>.Continuation

    init(continuation: AsyncStream<WebSocketEvent>.Continuation) {
        self.continuation = continuation
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let frame = unwrapInboundIn(data)
        var payload = frame.unmaskedData
        switch frame.opcode {
        case .text:
            continuation.yield(.text(payload.readString(length: payload.readableBytes) ?? ""))
        case .binary:
            continuation.yield(.binary(Array(payload.readableBytesView)))
        case .pong:
            continuation.yield(.pong(Array(payload.readableBytesView)))
        case .connectionClose:
            let code = payload.readWebSocketErrorCode().map { Self.number(of: $0) } ?? 1005
            continuation.yield(.close(code: code, reason: payload.readString(length: payload.readableBytes) ?? ""))
            // Like real clients, answer the server's close frame with one of our own.
            var echo = context.channel.allocator.buffer(capacity: 2)
            echo.writeInteger(UInt16(code))
            let reply = WebSocketFrame(fin: true, opcode: .connectionClose, maskKey: .random(), data: echo)
            context.writeAndFlush(NIOAny(reply), promise: nil)
        default:
            break
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        continuation.yield(.closed)
        continuation.finish()
        context.fireChannelInactive()
    }

    private static func number(of code: WebSocketErrorCode) -> Int {
        var buffer = ByteBuffer()
        buffer.write(webSocketErrorCode: code)
        return Int(buffer.readInteger(as: UInt16.self) ?? 0)
    }
}
