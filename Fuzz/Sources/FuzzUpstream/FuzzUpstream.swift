import FuzzSupport
import NIOCore

@testable import Upstream

/// A backend's bytes into the client side of Portico's upstream (fuzz target e).
///
/// Input: a selector byte. Bit 0 clear: the gRPC deframer alone, with a message limit from the
/// next two bytes, fed the rest whole and cut in two at every point (64 points spread over a
/// stream longer than 64 bytes). Bit 0 set: an
/// nghttp2 client session that has sent its SETTINGS and one gRPC request receives the rest as
/// the server's bytes, in chunks whose sizes come from the selector's other bits; every DATA
/// payload goes through a deframer, flow control is given back and the session's answers drained,
/// as `UpstreamConnection` does.
///
/// Invariants: nothing traps (AddressSanitizer watches the C pointers); the deframer's messages do
/// not depend on where its input is cut.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzUpstream(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    var input = FuzzInput(data, size)
    let selector = input.byte()
    if selector & 1 == 0 {
        deframe(&input)
    } else {
        session(&input, chunkSize: Int(selector >> 1) + 1)
    }
    return 0
}

/// What a deframer made of a stream: each `next()` answer until it needs more data, then whether
/// bytes were left over.
private func deframed(_ chunks: [ArraySlice<UInt8>], limit: Int) -> [String] {
    var deframer = GRPCMessageDeframer(maxMessageLength: limit)
    var answers: [String] = []
    for chunk in chunks {
        deframer.append(ByteBuffer(bytes: chunk))
        loop: while true {
            switch deframer.next() {
            case .message(let message): answers.append("message \(Array(message.readableBytesView))")
            case .compressed(let message): answers.append("compressed \(Array(message.readableBytesView))")
            case .tooLarge(let length):
                answers.append("tooLarge \(length)")
                return answers
            case .needMoreData: break loop
            }
        }
    }
    answers.append("buffered \(deframer.hasBufferedBytes)")
    return answers
}

private func deframe(_ input: inout FuzzInput) {
    let limit = input.uint16()
    let stream = input.rest()[...]
    let whole = deframed([stream], limit: limit)
    // Every cut of a short stream; 64 spread over a longer one (each cut deframes it all again).
    let stride = max(1, stream.count / 64)
    for cut in Swift.stride(from: stream.startIndex + 1, to: stream.endIndex, by: stride) {
        let split = deframed([stream[..<cut], stream[cut...]], limit: limit)
        fuzzCheck(split == whole, "cut at \(cut): \(split) != \(whole)")
    }
}

/// Supplies an empty request body: the request is sent whole at once.
private final class EmptyBody: NGHTTP2BodySource {
    func readBody(streamID: Int32, into buffer: UnsafeMutableRawBufferPointer) -> NGHTTP2BodyRead {
        .bytes(count: 0, endOfStream: true)
    }
}

private func session(_ input: inout FuzzInput, chunkSize: Int) {
    let body = EmptyBody()
    guard let session = try? NGHTTP2Session(allocator: ByteBufferAllocator()) else { return }
    defer { session.close() }
    session.bodySource = body
    try? session.submitSettings(streamWindow: 65_535, connectionWindow: 1 << 20)
    session.requestFields.removeAll()
    session.requestFields.append(":method", "POST")
    session.requestFields.append(":scheme", "http")
    session.requestFields.append(":path", "/demo.echo.v1.EchoService/Echo")
    session.requestFields.append(":authority", "backend")
    session.requestFields.append("content-type", "application/grpc")
    session.requestFields.append("te", "trailers")
    let stream = session.submitRequest()
    var out = ByteBuffer()
    _ = try? session.drain(into: &out, limit: 1 << 20)
    var deframer = GRPCMessageDeframer(maxMessageLength: 1 << 16)
    let bytes = input.rest()[...]
    var offset = bytes.startIndex
    while offset < bytes.endIndex, session.isAlive {
        let end = min(offset + chunkSize, bytes.endIndex)
        do {
            try session.receive(ByteBuffer(bytes: bytes[offset..<end]))
        } catch {
            break
        }
        offset = end
        var events = session.takeEvents()
        for event in events {
            guard case .data(let streamID, let payload) = event else { continue }
            fuzzCheck(streamID == stream, "DATA for stream \(streamID), only \(stream) is open")
            deframer.append(payload)
            while case .message = deframer.next() {}
            session.consumeStream(streamID: streamID, payload.readableBytes)
            session.consumeConnection(payload.readableBytes)
        }
        session.recycle(&events)
        out.clear()
        _ = try? session.drain(into: &out, limit: 1 << 20)
    }
}

/// The executable's entry point (see ``runLibFuzzer(_:_:_:)``).
@_cdecl("FuzzUpstream_main")
public func fuzzUpstreamMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    runLibFuzzer(argc, argv, fuzzUpstream)
}
