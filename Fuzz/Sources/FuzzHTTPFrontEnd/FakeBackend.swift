import FuzzSupport
import Logging
import NIOCore
import NIOEmbedded

@testable import Upstream

/// The gRPC backend of the front-end target: every connection the gateway opens is an
/// `EmbeddedChannel` holding a real ``UpstreamConnection``; what the backend says on it is written
/// from the input, once per connection, after the gateway's first bytes.
final class FakeBackend: @unchecked Sendable {
    /// The loop every channel runs on.
    let loop: EmbeddedEventLoop
    private var connections: [(channel: EmbeddedChannel, answered: Bool)] = []

    /// A backend with no connection yet.
    init(loop: EmbeddedEventLoop) {
        self.loop = loop
    }

    /// `Cluster`'s `openChannel` hook: a connected channel with an ``UpstreamConnection``.
    func open(_ client: UpstreamClient) -> EventLoopFuture<any Channel> {
        let channel = EmbeddedChannel(loop: loop)
        do {
            let connection = UpstreamConnection(
                target: client.target,
                configuration: .defaults,
                logger: FrontEnd.logger
            )
            try channel.pipeline.syncOperations.addHandler(connection)
            try channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 50_051)).wait()
        } catch {
            return loop.makeFailedFuture(error)
        }
        connections.append((channel, false))
        return loop.makeSucceededFuture(channel)
    }

    /// Takes what the gateway wrote and answers each connection once; true when bytes moved.
    func pump(answer: [UInt8]) -> Bool {
        var moved = false
        for index in connections.indices where connections[index].channel.isActive {
            let channel = connections[index].channel
            while (try? channel.readOutbound(as: ByteBuffer.self)) != nil { moved = true }
            if !connections[index].answered {
                connections[index].answered = true
                _ = try? channel.writeInbound(ByteBuffer(bytes: answer))
                moved = true
            }
        }
        return moved
    }

    /// Closes every connection.
    func finish() {
        for connection in connections { _ = try? connection.channel.finish() }
        connections.removeAll()
    }

    /// What the backend sends, from the input: raw bytes after its SETTINGS (mode bit 0 set), or
    /// response headers, the messages (two-byte length, bytes) in DATA frames and trailers with
    /// `grpc-status` (mode >> 1, modulo 17) on stream 1.
    static func answer(mode: UInt8, _ input: inout FuzzInput) -> [UInt8] {
        var bytes = frame(type: 4, flags: 0, stream: 0, [])  // SETTINGS
        bytes += frame(type: 4, flags: 1, stream: 0, [])  // SETTINGS ACK
        if mode & 1 != 0 { return bytes + input.rest() }
        // :status 200 (static index 8), content-type (static name 31): application/grpc.
        let headers: [UInt8] = [0x88, 0x0F, 0x10, 0x10] + Array("application/grpc".utf8)
        bytes += frame(type: 1, flags: 0x4, stream: 1, headers)
        while !input.remaining.isEmpty {
            let message = input.take(input.uint16())
            let length = UInt32(message.count)
            let prefix: [UInt8] = [
                0, UInt8(length >> 24), UInt8(length >> 16 & 0xFF), UInt8(length >> 8 & 0xFF), UInt8(length & 0xFF),
            ]
            bytes += frame(type: 0, flags: 0, stream: 1, prefix + message)
        }
        let status = Array(String(Int(mode >> 1) % 17).utf8)
        let trailers: [UInt8] = [0x00, 0x0B] + Array("grpc-status".utf8) + [UInt8(status.count)] + status
        bytes += frame(type: 1, flags: 0x5, stream: 1, trailers)
        return bytes
    }

    /// One HTTP/2 frame.
    static func frame(type: UInt8, flags: UInt8, stream: UInt32, _ payload: [UInt8]) -> [UInt8] {
        let length = UInt32(payload.count)
        return [
            UInt8(length >> 16 & 0xFF), UInt8(length >> 8 & 0xFF), UInt8(length & 0xFF), type, flags,
            UInt8(stream >> 24 & 0x7F), UInt8(stream >> 16 & 0xFF), UInt8(stream >> 8 & 0xFF), UInt8(stream & 0xFF),
        ] + payload
    }
}
