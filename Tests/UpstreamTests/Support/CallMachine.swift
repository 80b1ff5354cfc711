import NIOCore

@testable import Upstream

/// The states of ``UpstreamCallStateMachine``, without their payloads, for parameterized tests.
enum CallState: CaseIterable, Sendable {
    case idle, waiting, active, closing, finished
}

extension UpstreamCallStateMachine.State {
    /// The state without its payload.
    var name: CallState {
        switch self {
        case .idle: .idle
        case .waiting: .waiting
        case .active: .active
        case .closing: .closing
        case .finished: .finished
        }
    }

    /// The stream of an active call.
    var streamID: Int32? {
        if case .active(let streamID) = self { return streamID }
        return nil
    }
}

/// Builds ``UpstreamCallStateMachine``s in a given state, and framed messages for them.
enum CallMachine {
    static let okHeaders: [(name: String, value: String)] = [(":status", "200"), ("content-type", "application/grpc")]

    /// A machine stepped into `state` by the events that lead there: `start()`; then a stream
    /// (id 1); then response headers and trailers (not delivered); `finished` is a started call
    /// cancelled.
    static func make(
        in state: CallState = .idle,
        timeout: TimeAmount? = nil,
        watermarks: (high: Int, low: Int) = (1 << 16, 1 << 14),
        compressesRequests: Bool = false,
        maxMessageLength: Int = 1 << 20,
        maxMetadataBytes: Int = 16 << 10
    ) -> UpstreamCallStateMachine {
        var machine = UpstreamCallStateMachine(
            timeout: timeout,
            allocator: ByteBufferAllocator(),
            maxMessageLength: maxMessageLength,
            sendBufferWatermarks: watermarks,
            compressesRequests: compressesRequests,
            maxMetadataBytes: maxMetadataBytes
        )
        guard state != .idle else { return machine }
        _ = machine.start()
        switch state {
        case .idle, .waiting:
            break
        case .active:
            machine.streamStarted(streamID: 1)
        case .closing:
            machine.streamStarted(streamID: 1)
            _ = machine.receiveHeaders(Self.okHeaders, endStream: false)
            _ = machine.receiveHeaders([("grpc-status", "0")], endStream: true)
        case .finished:
            _ = machine.cancel()
        }
        precondition(machine.state.name == state)
        return machine
    }

    /// `texts` as gRPC-framed messages, back to back.
    static func message(_ texts: String...) -> ByteBuffer {
        var buffer = ByteBuffer()
        for text in texts {
            buffer.writeImmutableBuffer(Self.message(ByteBuffer(string: text)))
        }
        return buffer
    }

    /// `payload` as one gRPC-framed message.
    static func message(_ payload: ByteBuffer, compressed: Bool = false) -> ByteBuffer {
        var buffer = ByteBuffer()
        buffer.writeInteger(UInt8(compressed ? 1 : 0))
        buffer.writeInteger(UInt32(payload.readableBytes))
        buffer.writeImmutableBuffer(payload)
        return buffer
    }

    /// The bytes of `texts` framed as request messages.
    static func framed(_ texts: String...) -> [UInt8] {
        texts.flatMap { text in [0, 0, 0, 0, UInt8(text.utf8.count)] + Array(text.utf8) }
    }
}

extension UpstreamCallStateMachine {
    /// Reads `count` body bytes as nghttp2 would.
    mutating func read(_ count: Int) -> OnBodyRead {
        var bytes = [UInt8](repeating: 0, count: count)
        return bytes.withUnsafeMutableBytes { self.readBody(into: $0) }
    }

    /// Reads the whole buffered body, in small chunks, as nghttp2 would.
    mutating func readAll() -> [UInt8] {
        var body: [UInt8] = []
        while true {
            var chunk = [UInt8](repeating: 0, count: 7)
            let action = chunk.withUnsafeMutableBytes { self.readBody(into: $0) }
            guard case .bytes(let count, let endOfStream) = action.read else { return body }
            body += chunk.prefix(count)
            if endOfStream || count == 0 { return body }
        }
    }
}

extension UpstreamCallStateMachine.OnHeaders {
    var isNone: Bool {
        if case .none = self { return true }
        return false
    }

    var deliveredHeaders: [(name: String, value: String)]? {
        if case .deliverHeaders(let headers) = self { return headers }
        return nil
    }

    var finish: UpstreamCallStateMachine.Finish? {
        if case .finish(let finish) = self { return finish }
        return nil
    }
}

extension UpstreamCallStateMachine.OnDelivery {
    var isStop: Bool {
        if case .stop = self { return true }
        return false
    }

    var message: ByteBuffer? {
        if case .message(let message) = self { return message }
        return nil
    }

    var finish: UpstreamCallStateMachine.Finish? {
        if case .finish(let finish) = self { return finish }
        return nil
    }
}
