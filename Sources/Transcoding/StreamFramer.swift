public import NIOCore

/// Writes the messages of a streamed response in one ``StreamFraming``, straight into the
/// outgoing `ByteBuffer`s.
///
/// Every message is complete in the bytes written for it, so each can be flushed as a chunk the
/// moment it is framed (`curl -N` prints NDJSON lines live).
///
/// ```swift
/// var framer = StreamFramer(framing: .negotiate(accept: accept), envelope: false)
/// var chunk = ByteBuffer()
/// framer.writePrologue(into: &chunk)
/// for message in replies {
///     try framer.writeMessage(into: &chunk) { (out: inout ByteBuffer) throws(TranscodingError) in
///         try transcoder.write(protobuf: message, as: method.output, into: &out)
///     }
///     flush(&chunk)
/// }
/// framer.writeEpilogue(into: &chunk)
/// ```
public struct StreamFramer: Sendable {
    /// The framing.
    public let framing: StreamFraming
    /// Whether each message is wrapped as `{"result": message}` (grpc-gateway's form).
    public let envelope: Bool
    /// How many elements (messages and errors) have been written.
    public private(set) var elementCount = 0

    /// Creates a framer for one response.
    /// - Parameters:
    ///   - framing: the framing, usually from ``StreamFraming/negotiate(accept:)``.
    ///   - envelope: wrap each message as `{"result": message}`.
    public init(framing: StreamFraming, envelope: Bool) {
        self.framing = framing
        self.envelope = envelope
    }

    /// The `Content-Type` of the response body.
    public var contentType: String { framing.contentType }

    /// Writes what comes before the first message: `[` for an array, nothing otherwise.
    public func writePrologue(into out: inout ByteBuffer) {
        if framing == .jsonArray { out.writeInteger(UInt8(ascii: "[")) }
    }

    /// Frames one message: an array element (with `,` before all but the first), an NDJSON line,
    /// or an SSE `data:` event. JSON has no raw line breaks, so one `data:` line suffices.
    /// - Parameters:
    ///   - out: receives the framed message.
    ///   - writeMessage: writes the message's JSON, typically with a ``ResponseTranscoder``.
    /// - Throws: whatever `writeMessage` throws; `out` is then left as it was, so an error
    ///   element can follow.
    public mutating func writeMessage(
        into out: inout ByteBuffer,
        _ writeMessage: (inout ByteBuffer) throws(TranscodingError) -> Void
    ) throws(TranscodingError) {
        let start = out.writerIndex
        writeElementStart(into: &out)
        if envelope { out.writeStaticString("{\"result\":") }
        do {
            try writeMessage(&out)
        } catch {
            out.moveWriterIndex(to: start)
            throw error
        }
        if envelope { out.writeInteger(UInt8(ascii: "}")) }
        writeElementEnd(into: &out)
        elementCount += 1
    }

    /// Writes the in-band error that ends a stream that has already started: an NDJSON line
    /// `{"error": status}`, an SSE `event: error` event, or a last array element
    /// `{"error": status}`. ``writeEpilogue(into:)`` still follows.
    /// - Parameters:
    ///   - out: receives the framed error.
    ///   - writeStatus: writes the `google.rpc.Status` JSON object.
    public mutating func writeError(into out: inout ByteBuffer, _ writeStatus: (inout ByteBuffer) -> Void) {
        switch framing {
        case .serverSentEvents:
            out.writeStaticString("event: error\ndata: ")
            writeStatus(&out)
            out.writeStaticString("\n\n")
        case .ndjson, .jsonArray, .messagePerFrame:
            writeElementStart(into: &out)
            out.writeStaticString("{\"error\":")
            writeStatus(&out)
            out.writeInteger(UInt8(ascii: "}"))
            writeElementEnd(into: &out)
        }
        elementCount += 1
    }

    /// Writes what comes after the last message: `]` for an array, nothing otherwise.
    public func writeEpilogue(into out: inout ByteBuffer) {
        if framing == .jsonArray { out.writeInteger(UInt8(ascii: "]")) }
    }

    private func writeElementStart(into out: inout ByteBuffer) {
        switch framing {
        case .ndjson, .messagePerFrame: break
        case .serverSentEvents: out.writeStaticString("data: ")
        case .jsonArray: if elementCount > 0 { out.writeInteger(UInt8(ascii: ",")) }
        }
    }

    private func writeElementEnd(into out: inout ByteBuffer) {
        switch framing {
        case .ndjson: out.writeInteger(UInt8(ascii: "\n"))
        case .serverSentEvents: out.writeStaticString("\n\n")
        case .jsonArray, .messagePerFrame: break
        }
    }
}
