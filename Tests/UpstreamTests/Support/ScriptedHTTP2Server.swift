import NIOCore
import NIOHPACK
import NIOHTTP2
import NIOPosix
import Upstream

/// A raw HTTP/2 server (swift-nio-http2) that answers each request with a script chosen by its
/// `:path`, to produce responses a well-behaved gRPC server never sends.
///
/// Paths (all under `/t/`):
/// - `echoHeaders`: OK; one message listing the request's header fields as `name: value` lines.
/// - `http503`: `:status 503`, END_STREAM.
/// - `badContentType`: `:status 200`, `content-type: text/html`, then a body.
/// - `compressed`: OK headers, one message with the compressed flag set, trailers.
/// - `noTrailers`: OK headers, one message whose DATA frame carries END_STREAM.
/// - `missingStatus`: OK headers, trailers without `grpc-status`.
/// - `truncated`: OK headers, half a message, trailers `grpc-status: 0`.
/// - `refused`: RST_STREAM(REFUSED_STREAM) right away.
/// - `goAway`: GOAWAY(last stream = this one), then a normal OK response with message `after-goaway`.
/// - `flood`: ``floodCount`` messages of 1 KiB (`message-<i>` padded), written only while the stream
///   channel is writable, i.e. while the client's flow-control window allows; counts them in
///   ``flooded``.
final class ScriptedHTTP2Server: Sendable {
    let group: MultiThreadedEventLoopGroup
    let channel: any Channel
    /// Messages the `flood` script has written so far.
    let flooded = RawTestService.Counter()
    /// Streams refused so far by `refusedOnce` / `goAwayUnprocessedOnce`.
    let refusals = RawTestService.Counter()
    static let floodCount = 2000
    var port: Int { self.channel.localAddress!.port! }

    init() async throws {
        let flooded = self.flooded
        let refusals = self.refusals
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        self.group = group
        self.channel = try await ServerBootstrap(group: group)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.configureHTTP2Pipeline(mode: .server) { stream in
                    stream.eventLoop.makeCompletedFuture {
                        try stream.pipeline.syncOperations.addHandler(
                            ScriptedStreamHandler(flooded: flooded, refusals: refusals)
                        )
                    }
                }.map { _ in }
            }
            .bind(host: "127.0.0.1", port: 0)
            .get()
    }

    func shutdown() async throws {
        try await self.channel.close()
        try await self.group.shutdownGracefully()
    }
}

private final class ScriptedStreamHandler: ChannelInboundHandler {
    typealias InboundIn = HTTP2Frame.FramePayload
    typealias OutboundOut = HTTP2Frame.FramePayload

    private var requestHeaders = HPACKHeaders()
    private let flooded: RawTestService.Counter
    private let refusals: RawTestService.Counter
    private var floodNext: Int?
    private var requestBody: [UInt8] = []

    init(flooded: RawTestService.Counter, refusals: RawTestService.Counter) {
        self.flooded = flooded
        self.refusals = refusals
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        if context.channel.isWritable { self.flood(context: context) }
    }

    private func flood(context: ChannelHandlerContext) {
        guard var next = self.floodNext else { return }
        while next < ScriptedHTTP2Server.floodCount && context.channel.isWritable {
            var bytes = Array("message-\(next)".utf8)
            bytes += Array(repeating: UInt8(ascii: "."), count: 1024 - bytes.count)
            self.write(context, self.message(bytes))
            self.flooded.increment()
            next += 1
        }
        if next == ScriptedHTTP2Server.floodCount {
            self.floodNext = nil
            self.write(context, self.headers(self.okTrailers, endStream: true))
        } else {
            self.floodNext = next
        }
        context.flush()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch self.unwrapInboundIn(data) {
        case .headers(let headers):
            self.requestHeaders = headers.headers
            if headers.endStream { self.respond(context: context) }
        case .data(let data):
            if case .byteBuffer(let bytes) = data.data { self.requestBody += Array(bytes.readableBytesView) }
            if data.endStream { self.respond(context: context) }
        default:
            break
        }
    }

    private func write(_ context: ChannelHandlerContext, _ payload: HTTP2Frame.FramePayload) {
        context.write(self.wrapOutboundOut(payload), promise: nil)
    }

    private func headers(_ fields: [(String, String)], endStream: Bool = false) -> HTTP2Frame.FramePayload {
        .headers(.init(headers: HPACKHeaders(fields), endStream: endStream))
    }

    private func message(_ bytes: [UInt8], flag: UInt8 = 0, endStream: Bool = false) -> HTTP2Frame.FramePayload {
        var buffer = ByteBuffer()
        buffer.writeInteger(flag)
        buffer.writeInteger(UInt32(bytes.count))
        buffer.writeBytes(bytes)
        return .data(.init(data: .byteBuffer(buffer), endStream: endStream))
    }

    private let ok = [(":status", "200"), ("content-type", "application/grpc")]
    private let okTrailers = [("grpc-status", "0")]

    private func respond(context: ChannelHandlerContext) {
        let path = self.requestHeaders.first(name: ":path") ?? ""
        switch path {
        case "/t/echoHeaders":
            let lines = self.requestHeaders.map { "\($0.name): \($0.value)" }.joined(separator: "\n")
            self.write(context, self.headers(self.ok))
            self.write(context, self.message(Array(lines.utf8)))
            self.write(context, self.headers(self.okTrailers, endStream: true))
        case "/t/http503":
            self.write(context, self.headers([(":status", "503")], endStream: true))
        case "/t/badContentType":
            self.write(context, self.headers([(":status", "200"), ("content-type", "text/html")]))
            self.write(context, .data(.init(data: .byteBuffer(ByteBuffer(string: "<html>")), endStream: true)))
        case "/t/compressed":
            self.write(context, self.headers(self.ok))
            self.write(context, self.message([42], flag: 1))
            self.write(context, self.headers(self.okTrailers, endStream: true))
        case "/t/gzip", "/t/gzipBomb", "/t/gzipCorrupt":
            let payload: [UInt8]
            switch path {
            case "/t/gzip": payload = Array(Gzip.compress(ByteBuffer(string: "inflated!")).readableBytesView)
            case "/t/gzipBomb":
                payload = Array(Gzip.compress(ByteBuffer(repeating: 0, count: 8 << 20)).readableBytesView)
            default: payload = [0x1F, 0x8B, 8, 0, 1, 2, 3, 4, 5, 6]
            }
            self.write(context, self.headers(self.ok + [("grpc-encoding", "gzip")]))
            self.write(context, self.message(payload, flag: 1))
            self.write(context, self.headers(self.okTrailers, endStream: true))
        case "/t/hugeHeaders":
            // Ten 2,000-byte fields: 20 KB, above the 16 KiB default, within nghttp2's own limits.
            self.write(
                context,
                self.headers(self.ok + (0..<10).map { ("x-big-\($0)", String(repeating: "b", count: 2_000)) })
            )
            self.write(context, self.message(Array("unseen".utf8)))
            self.write(context, self.headers(self.okTrailers, endStream: true))
        case "/t/noTrailers":
            self.write(context, self.headers(self.ok))
            self.write(context, self.message(Array("lonely".utf8), endStream: true))
        case "/t/missingStatus":
            self.write(context, self.headers(self.ok))
            self.write(context, self.headers([("grpc-message", "who knows")], endStream: true))
        case "/t/truncated":
            self.write(context, self.headers(self.ok))
            self.write(context, .data(.init(data: .byteBuffer(ByteBuffer(bytes: [0, 0, 0, 0, 9, 1, 2])))))
            self.write(context, self.headers(self.okTrailers, endStream: true))
        case "/t/flood":
            self.write(context, self.headers(self.ok))
            self.floodNext = 0
            self.flood(context: context)
        case "/t/refused":
            self.write(context, .rstStream(.refusedStream))
        case "/t/refusedOnce", "/t/goAwayUnprocessedOnce":
            guard self.refusals.current > 0 else {
                self.refusals.increment()
                if path == "/t/refusedOnce" {
                    self.write(context, .rstStream(.refusedStream))
                } else {
                    // GOAWAY naming an earlier stream as the last processed: this one was not.
                    let streamID = try! context.channel.syncOptions!.getOption(HTTP2StreamChannelOptions.streamID)
                    let goAway = HTTP2Frame(
                        streamID: .rootStream,
                        payload: .goAway(
                            lastStreamID: HTTP2StreamID(max(0, Int(Int32(streamID)) - 2)),
                            errorCode: .noError,
                            opaqueData: nil
                        )
                    )
                    context.channel.parent!.writeAndFlush(goAway, promise: nil)
                }
                break
            }
            // The retry: echo the request body (gRPC prefix included) as the message.
            self.write(context, self.headers(self.ok))
            self.write(context, self.message(self.requestBody))
            self.write(context, self.headers(self.okTrailers, endStream: true))
        case "/t/goAway":
            let streamID = try! context.channel.syncOptions!.getOption(HTTP2StreamChannelOptions.streamID)
            let goAway = HTTP2Frame(
                streamID: .rootStream,
                payload: .goAway(lastStreamID: streamID, errorCode: .noError, opaqueData: nil)
            )
            context.channel.parent!.writeAndFlush(goAway, promise: nil)
            self.write(context, self.headers(self.ok))
            self.write(context, self.message(Array("after-goaway".utf8)))
            self.write(context, self.headers(self.okTrailers, endStream: true))
        default:
            self.write(
                context,
                self.headers(
                    [(":status", "200"), ("content-type", "application/grpc"), ("grpc-status", "12")],
                    endStream: true
                )
            )
        }
        context.flush()
    }
}
