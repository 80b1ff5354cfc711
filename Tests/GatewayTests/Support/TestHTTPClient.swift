import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix

/// A complete HTTP response as a test sees it.
struct TestResponse: Sendable {
    var status: Int
    var headers: HTTPHeaders
    var body: [UInt8]
    /// The body chunks as they arrived (for streaming responses).
    var chunks: [[UInt8]]

    var text: String { String(decoding: body, as: UTF8.self) }

    /// The body parsed as a JSON object (Foundation, test-only).
    func jsonObject() throws -> [String: Any] {
        guard
            let object = try JSONSerialization.jsonObject(with: Data(body), options: [.fragmentsAllowed])
                as? [String: Any]
        else { throw TestFailure("body is not a JSON object: \(text)") }
        return object
    }
}

struct TestFailure: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// A real HTTP/1.1 client over a real socket: one keep-alive connection, requests in sequence.
final class TestHTTPClient: Sendable {
    private let channel: any Channel
    private let collector: NIOLoopBound<ResponseCollector>

    private init(channel: any Channel, collector: NIOLoopBound<ResponseCollector>) {
        self.channel = channel
        self.collector = collector
    }

    /// Connects to 127.0.0.1:`port`.
    static func connect(
        port: Int,
        group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton
    ) async throws -> TestHTTPClient {
        let channel = try await ClientBootstrap(group: group)
            .channelOption(.tcpOption(.tcp_nodelay), value: 1)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHTTPClientHandlers()
                    try channel.pipeline.syncOperations.addHandler(ResponseCollector())
                }
            }
            .connect(host: "127.0.0.1", port: port).get()
        let collector = try await channel.eventLoop.submit {
            NIOLoopBound(
                try channel.pipeline.syncOperations.handler(type: ResponseCollector.self),
                eventLoop: channel.eventLoop
            )
        }.get()
        return TestHTTPClient(channel: channel, collector: collector)
    }

    /// Sends one request and waits for the whole response.
    func send(
        _ method: HTTPMethod,
        _ uri: String,
        headers: [(String, String)] = [],
        body: String? = nil
    ) async throws -> TestResponse {
        try await send(method, uri, headers: headers, bodyBytes: body.map { Array($0.utf8) })
    }

    /// Sends one request with a raw body and waits for the whole response.
    func send(
        _ method: HTTPMethod,
        _ uri: String,
        headers: [(String, String)] = [],
        bodyBytes: [UInt8]?
    ) async throws -> TestResponse {
        let channel = self.channel
        let collector = self.collector
        let future = channel.eventLoop.flatSubmit { () -> EventLoopFuture<TestResponse> in
            var head = HTTPRequestHead(version: .http1_1, method: method, uri: uri)
            head.headers.add(name: "Host", value: "localhost")
            for (name, value) in headers { head.headers.add(name: name, value: value) }
            if let bodyBytes { head.headers.add(name: "Content-Length", value: String(bodyBytes.count)) }
            let promise = channel.eventLoop.makePromise(of: TestResponse.self)
            collector.value.expect(promise, isHead: method == .HEAD)
            channel.write(HTTPClientRequestPart.head(head), promise: nil)
            if let bodyBytes, !bodyBytes.isEmpty {
                channel.write(HTTPClientRequestPart.body(.byteBuffer(ByteBuffer(bytes: bodyBytes))), promise: nil)
            }
            channel.writeAndFlush(HTTPClientRequestPart.end(nil), promise: nil)
            return promise.futureResult
        }
        return try await future.get()
    }

    /// Whether the server has closed the connection.
    var isActive: Bool { channel.isActive }

    func close() async {
        try? await channel.close()
    }
}

/// Collects response parts into `TestResponse`s, in request order.
final class ResponseCollector: ChannelInboundHandler {
    typealias InboundIn = HTTPClientResponsePart

    private var pending: [EventLoopPromise<TestResponse>] = []
    private var current: TestResponse?

    func expect(_ promise: EventLoopPromise<TestResponse>, isHead: Bool) {
        pending.append(promise)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head):
            current = TestResponse(status: Int(head.status.code), headers: head.headers, body: [], chunks: [])
        case .body(let buffer):
            let bytes = Array(buffer.readableBytesView)
            current?.body += bytes
            current?.chunks.append(bytes)
        case .end(let trailers):
            if var response = current, !pending.isEmpty {
                if let trailers { response.headers.add(contentsOf: trailers) }
                pending.removeFirst().succeed(response)
            }
            current = nil
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        let failed = pending
        pending = []
        for promise in failed { promise.fail(TestFailure("connection closed before the response ended")) }
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        let failed = pending
        pending = []
        for promise in failed { promise.fail(error) }
        context.close(promise: nil)
    }
}
