import NIOCore

/// gRPC message framing as the upstream client does it: `GRPCSendBuffer` (5-byte prefix, copy
/// into the call's outbound buffer, then nghttp2's data source reading it out in 16 KiB DATA
/// frames) and `GRPCMessageDeframer` (DATA payload chunks in, prefix-less messages out).
///
/// The `Upstream` module is not in the `PorticoCore` product and these types are internal, so
/// `UpstreamSources/` holds symbolic links to the two source files
/// (`Sources/Upstream/GRPCMessageFraming.swift`, `Sources/Upstream/GRPCSendBuffer.swift`):
/// the code timed here is the gateway's own, compiled into this module.
struct FramingBenchmark {
    /// The size of an HTTP/2 DATA frame at the default SETTINGS_MAX_FRAME_SIZE.
    static let frameSize = 16_384
    let allocator = ByteBufferAllocator()

    /// One row per case: operation, message size, ns per message.
    func run() throws -> [[String]] {
        var rows: [[String]] = []
        let frame = UnsafeMutableRawBufferPointer.allocate(byteCount: Self.frameSize, alignment: 16)
        defer { frame.deallocate() }

        // Send side, one unary request: a fresh buffer per call, one message, one DATA frame.
        for size in [2, 1_024] {
            let message = ByteBuffer(repeating: 0x5A, count: size)
            try checkSend([message], frame: frame)
            let measured = measure {
                var buffer = GRPCSendBuffer(allocator: allocator)
                buffer.append(message: message)
                precondition(buffer.read(into: frame) == size + 5)
            }
            rows.append([
                "send: unary request (new buffer, append, read)", "\(grouped(Double(size))) B",
                formatNanoseconds(measured),
            ])
        }

        // Send side, a client stream: 64 messages of 1 KiB queued, read out in 16 KiB frames.
        let uploadChunk = ByteBuffer(repeating: 0x5A, count: 1_024)
        let streamMessages = 64
        try checkSend(Array(repeating: uploadChunk, count: streamMessages), frame: frame)
        let sendStream = measure {
            var buffer = GRPCSendBuffer(allocator: allocator)
            for _ in 0..<streamMessages { buffer.append(message: uploadChunk) }
            while buffer.count > 0 { _ = buffer.read(into: frame) }
        }
        rows.append([
            "send: client stream, \(streamMessages) messages, 16 KiB frames", "1,024 B",
            formatNanoseconds(sendStream.divided(by: streamMessages)),
        ])

        // Receive side, one unary response in one DATA chunk (a UserResponse-sized message).
        let response = framed([ByteBuffer(repeating: 0x0A, count: 12)])
        let unary = measure {
            var deframer = GRPCMessageDeframer(maxMessageLength: 4 << 20)
            deframer.append(response)
            guard case .message = deframer.next(), case .needMoreData = deframer.next() else {
                preconditionFailure("deframing failed")
            }
        }
        rows.append(["receive: unary response (new deframer, one chunk)", "12 B", formatNanoseconds(unary)])

        // Receive side, a server stream of FileResponse-sized messages (1 KiB content plus the
        // name field) arriving in 16 KiB DATA chunks, so messages straddle chunk boundaries.
        for size in [1_040, 64] {
            let count = (1 << 20) / size
            let chunks = dataChunks(
                of: framed(Array(repeating: ByteBuffer(repeating: 0x0A, count: size), count: count))
            )
            try checkReceive(chunks, count: count, size: size)
            let stream = measure {
                var deframer = GRPCMessageDeframer(maxMessageLength: 4 << 20)
                var received = 0
                for chunk in chunks {
                    deframer.append(chunk)
                    while case .message = deframer.next() { received += 1 }
                }
                precondition(received == count)
            }
            rows.append([
                "receive: server stream, \(grouped(Double(count))) messages in 16 KiB chunks",
                "\(grouped(Double(size))) B",
                formatNanoseconds(stream.divided(by: count)),
            ])
        }
        return rows
    }

    /// The messages with their 5-byte prefixes, in one buffer.
    private func framed(_ messages: [ByteBuffer]) -> ByteBuffer {
        var out = ByteBuffer()
        for message in messages { GRPCMessageFramer.frame(message, into: &out) }
        return out
    }

    /// `bytes` cut into DATA-frame-sized chunks.
    private func dataChunks(of bytes: ByteBuffer) -> [ByteBuffer] {
        var bytes = bytes
        var chunks: [ByteBuffer] = []
        while bytes.readableBytes > 0 {
            chunks.append(bytes.readSlice(length: min(Self.frameSize, bytes.readableBytes))!)
        }
        return chunks
    }

    /// Refuses to time a send buffer whose output is not the framed messages.
    private func checkSend(_ messages: [ByteBuffer], frame: UnsafeMutableRawBufferPointer) throws {
        var buffer = GRPCSendBuffer(allocator: allocator)
        for message in messages { buffer.append(message: message) }
        var sent: [UInt8] = []
        while buffer.count > 0 {
            let n = buffer.read(into: frame)
            sent += frame.prefix(n)
        }
        guard sent == Array(framed(messages).readableBytesView) else {
            throw BenchmarkError("GRPCSendBuffer does not send the framed messages")
        }
    }

    /// Refuses to time a deframer that does not give back the messages.
    private func checkReceive(_ chunks: [ByteBuffer], count: Int, size: Int) throws {
        var deframer = GRPCMessageDeframer(maxMessageLength: 4 << 20)
        var sizes: [Int] = []
        for chunk in chunks {
            deframer.append(chunk)
            while case .message(let message) = deframer.next() { sizes.append(message.readableBytes) }
        }
        guard sizes == Array(repeating: size, count: count), !deframer.hasBufferedBytes else {
            throw BenchmarkError("GRPCMessageDeframer does not give back the messages")
        }
    }

    static let header = ["operation", "message", "ns/message (min–max)"]
}
