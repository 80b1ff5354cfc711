import NIOConcurrencyHelpers
import NIOCore
import NIOHTTP1
import NIOPosix

/// One part of a response as it arrives.
enum ResponseEvent: Sendable {
    case head(HTTPResponseHead)
    case body([UInt8])
    case end(HTTPHeaders?)
    case closed
}

/// A real HTTP/1.1 client for streaming tests: sends a chunked request body piece by piece and
/// observes response parts as they arrive, so a test can interleave both directions.
final class StreamingTestClient: Sendable {
    private let channel: any Channel
    let events: AsyncStream<ResponseEvent>
    private let bodyBytes: NIOLockedValueBox<Int>

    private init(channel: any Channel, events: AsyncStream<ResponseEvent>, bodyBytes: NIOLockedValueBox<Int>) {
        self.channel = channel
        self.events = events
        self.bodyBytes = bodyBytes
    }

    /// Response body bytes read from the socket so far (events may still be queued unread).
    var bodyBytesRead: Int { bodyBytes.withLockedValue { $0 } }

    /// Connects and sends the request head (chunked body follows with ``send(_:)``).
    static func start(
        port: Int,
        method: HTTPMethod,
        uri: String,
        headers: [(String, String)] = [],
        chunkedBody: Bool = true
    ) async throws -> StreamingTestClient {
        let (stream, continuation) = AsyncStream.makeStream(of: ResponseEvent.self)
        let bodyBytes = NIOLockedValueBox(0)
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .channelOption(.tcpOption(.tcp_nodelay), value: 1)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHTTPClientHandlers()
                    try channel.pipeline.syncOperations.addHandler(
                        EventForwarder(continuation: continuation, bodyBytes: bodyBytes)
                    )
                }
            }
            .connect(host: "127.0.0.1", port: port).get()
        var head = HTTPRequestHead(version: .http1_1, method: method, uri: uri)
        head.headers.add(name: "Host", value: "localhost")
        if chunkedBody { head.headers.add(name: "Transfer-Encoding", value: "chunked") }
        for (name, value) in headers { head.headers.add(name: name, value: value) }
        try await channel.writeAndFlush(HTTPClientRequestPart.head(head)).get()
        return StreamingTestClient(channel: channel, events: stream, bodyBytes: bodyBytes)
    }

    /// The demo chat's whole exchange at `uri`: "one" and "two" sent as NDJSON, the request
    /// ended; `true` when the answer is 200 with both replies, in order.
    static func chatsOneAndTwo(port: Int, uri: String) async throws -> Bool {
        let chat = try await start(port: port, method: .POST, uri: uri)
        try await chat.send("{\"message\":\"one\"}\n{\"message\":\"two\"}\n")
        try await chat.end()
        let replies = await chat.collect()
        return replies.status == 200
            && replies.text.split(separator: "\n") == [
                #"{"message":"you said: one"}"#, #"{"message":"you said: two"}"#,
            ]
    }

    /// Sends a complete `GET` for `uri` (no body) and observes its response.
    static func get(port: Int, uri: String) async throws -> StreamingTestClient {
        let client = try await start(port: port, method: .GET, uri: uri, chunkedBody: false)
        try await client.end()
        return client
    }

    /// Sends one body chunk now.
    func send(_ bytes: [UInt8]) async throws {
        try await channel.writeAndFlush(HTTPClientRequestPart.body(.byteBuffer(ByteBuffer(bytes: bytes)))).get()
    }

    /// Sends one body chunk of text now.
    func send(_ text: String) async throws {
        try await send(Array(text.utf8))
    }

    /// Ends the request body.
    func end() async throws {
        try await channel.writeAndFlush(HTTPClientRequestPart.end(nil)).get()
    }

    /// Stops reading from the socket (a client that stalls, like a throttled download).
    func stopReading() async throws {
        try await channel.setOption(.autoRead, value: false).get()
    }

    /// Reads from the socket again after ``stopReading()``.
    func resumeReading() async throws {
        try await channel.setOption(.autoRead, value: true).get()
    }

    /// Closes the connection abruptly.
    func close() async {
        try? await channel.close()
    }

    /// Collects the whole response (after the request is complete).
    func collect() async -> TestResponse {
        var response = TestResponse(status: 0, headers: HTTPHeaders(), body: [], chunks: [])
        for await event in events {
            switch event {
            case .head(let head):
                response.status = Int(head.status.code)
                response.headers = head.headers
            case .body(let bytes):
                response.body += bytes
                response.chunks.append(bytes)
            case .end(let trailers):
                if let trailers { response.headers.add(contentsOf: trailers) }
                return response
            case .closed:
                return response
            }
        }
        return response
    }
}

/// Forwards response parts to an AsyncStream.
private final class EventForwarder: ChannelInboundHandler {
    typealias InboundIn = HTTPClientResponsePart
    let continuation: AsyncStream<ResponseEvent>.Continuation
    let bodyBytes: NIOLockedValueBox<Int>

    init(continuation: AsyncStream<ResponseEvent>.Continuation, bodyBytes: NIOLockedValueBox<Int>) {
        self.continuation = continuation
        self.bodyBytes = bodyBytes
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head):
            // 100 Continue is informational: wait for the real head.
            if head.status != .continue { continuation.yield(.head(head)) }
        case .body(let buffer):
            bodyBytes.withLockedValue { $0 += buffer.readableBytes }
            continuation.yield(.body(Array(buffer.readableBytesView)))
        case .end(let trailers): continuation.yield(.end(trailers))
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        continuation.yield(.closed)
        continuation.finish()
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.close(promise: nil)
    }
}
