import NIOCore
import NIOHTTP1
import NIOPosix

/// What a probed server answered: its status code and the first bytes of its body.
struct ProbeAnswer: Sendable {
    /// The HTTP status code.
    var status: Int
    /// Up to ``HTTPProbe/bodyLimit`` bytes of the body, as text.
    var body: String
}

/// A probe that got no complete answer in time.
struct ProbeTimeout: Error, CustomStringConvertible {
    var description: String { "no answer in time" }
}

/// One HTTP/1.1 GET over a fresh connection, closed after the answer.
enum HTTPProbe {
    /// How much of the body an answer keeps.
    static let bodyLimit = 1024

    /// GETs `target` and returns the answer; throws on a failed connect, a closed connection
    /// or no complete answer within `timeout`.
    static func get(_ target: ProbeTarget, timeout: TimeAmount) async throws -> ProbeAnswer {
        let group = MultiThreadedEventLoopGroup.singleton
        let promise = group.next().makePromise(of: ProbeAnswer.self)
        let channel: any Channel
        do {
            channel = try await ClientBootstrap(group: group)
                .connectTimeout(timeout)
                .channelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try channel.pipeline.syncOperations.addHTTPClientHandlers()
                        try channel.pipeline.syncOperations.addHandler(ProbeAnswerCollector(promise: promise))
                    }
                }
                .connect(host: target.host, port: target.port)
                .get()
        } catch {
            promise.fail(error)
            throw error
        }
        let deadline = channel.eventLoop.scheduleTask(in: timeout) {
            promise.fail(ProbeTimeout())
            channel.close(promise: nil)
        }
        var headers = HTTPHeaders()
        headers.add(name: "Host", value: target.port == 80 ? target.host : "\(target.host):\(target.port)")
        headers.add(name: "User-Agent", value: "portico-probe")
        headers.add(name: "Connection", value: "close")
        let head = HTTPRequestHead(version: .http1_1, method: .GET, uri: target.path, headers: headers)
        channel.write(HTTPClientRequestPart.head(head), promise: nil)
        channel.writeAndFlush(HTTPClientRequestPart.end(nil), promise: nil)
        defer {
            deadline.cancel()
            channel.close(promise: nil)
        }
        return try await promise.futureResult.get()
    }
}

/// Collects the response into the probe's promise; a connection that ends first fails it.
private final class ProbeAnswerCollector: ChannelInboundHandler {
    typealias InboundIn = HTTPClientResponsePart

    private let promise: EventLoopPromise<ProbeAnswer>
    private var status: Int?
    private var body = ByteBuffer()

    init(promise: EventLoopPromise<ProbeAnswer>) {
        self.promise = promise
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch self.unwrapInboundIn(data) {
        case .head(let head):
            self.status = Int(head.status.code)
        case .body(var part):
            let room = HTTPProbe.bodyLimit - self.body.readableBytes
            if room > 0, let bytes = part.readSlice(length: min(room, part.readableBytes)) {
                self.body.writeImmutableBuffer(bytes)
            }
        case .end:
            if let status = self.status {
                self.promise.succeed(ProbeAnswer(status: status, body: String(buffer: self.body)))
            }
            context.close(promise: nil)
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        self.promise.fail(error)
        context.close(promise: nil)
    }

    func channelInactive(context: ChannelHandlerContext) {
        self.promise.fail(ChannelError.eof)
        context.fireChannelInactive()
    }
}
