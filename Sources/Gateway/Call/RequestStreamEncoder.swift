import NIOCore
import ProtoSchema
import Routing
import Transcoding
import Upstream

/// Cuts a streamed request body (client-streaming and bidi calls) into request messages as the
/// bytes arrive.
///
/// JSON bodies are a sequence of values (newline-delimited, concatenated, or one top-level
/// array); each complete value becomes one message. Raw bodies (`body` naming a `bytes` field
/// or `google.api.HttpBody`) become one message per received chunk. Path and query bindings are
/// appended to every message, so for example each upload chunk carries the file name.
struct RequestStreamEncoder {
    private enum Mode {
        case json(JSONSequenceSplitter, field: FieldDescriptor?)
        case rawField(FieldDescriptor, contentType: String?)
        case rawHttpBody(contentType: String?)
    }

    private var mode: Mode
    private let input: MessageID
    private let transcoder: RequestTranscoder
    private let bindings: ByteBuffer
    private var sent = 0

    /// Prepares the encoder for a route; encodes the URL bindings once.
    /// - Parameters:
    ///   - plan: The route's request plan.
    ///   - bindings: The path and query values of the match, merged into every message.
    ///   - contentType: The request's `Content-Type` (raw bodies keep it in `HttpBody`).
    ///   - maxMessageBytes: The largest JSON value accepted (`streaming.maxMessageBytes`).
    ///   - allocator: Allocates the messages.
    /// - Throws: ``GatewayError`` (400) when a binding does not fit its field.
    init(
        plan: RequestPlan,
        bindings: [FieldBinding],
        contentType: String?,
        maxMessageBytes: Int,
        allocator: ByteBufferAllocator
    ) throws(GatewayError) {
        input = plan.input
        transcoder = plan.transcoder
        let splitter = JSONSequenceSplitter(maxValueBytes: maxMessageBytes)
        switch plan.body {
        case .rawField(let field):
            mode = .rawField(field, contentType: contentType)
        case .httpBody:
            mode = .rawHttpBody(contentType: contentType)
        case .json(let field):
            mode = .json(splitter, field: field)
        case .none:
            mode = .json(splitter, field: nil)
        }
        var encoded = allocator.buffer(capacity: 64)
        do {
            try transcoder.encode(bindings: bindings, into: &encoded)
        } catch {
            throw GatewayError.invalidArgument(RequestBuilder.clientMessage(for: error), cause: error)
        }
        self.bindings = encoded
    }

    /// The message for one WebSocket frame, which holds exactly one JSON value (or, on a raw
    /// route, one chunk of bytes).
    mutating func encode(frame payload: ByteBuffer, allocator: ByteBufferAllocator) throws(GatewayError) -> ByteBuffer {
        switch mode {
        case .json(_, let field):
            return try encodeJSON(payload, field: field, allocator: allocator)
        case .rawField, .rawHttpBody:
            return try encodeRaw(payload, allocator: allocator)
        }
    }

    /// The messages completed by this chunk.
    mutating func append(_ chunk: ByteBuffer, allocator: ByteBufferAllocator) throws(GatewayError) -> [ByteBuffer] {
        switch mode {
        case .json(var splitter, let field):
            let values: [ByteBuffer]
            do {
                values = try splitter.append(chunk)
            } catch {
                throw Self.gatewayError(error)
            }
            mode = .json(splitter, field: field)
            return try values.map { value throws(GatewayError) in
                try encodeJSON(value, field: field, allocator: allocator)
            }
        case .rawField, .rawHttpBody:
            guard chunk.readableBytes > 0 else { return [] }
            return [try encodeRaw(chunk, allocator: allocator)]
        }
    }

    /// The messages completed by the end of the body (a trailing value; or, for a raw body that
    /// was empty, one message so the backend still learns the bound fields).
    mutating func finish(allocator: ByteBufferAllocator) throws(GatewayError) -> [ByteBuffer] {
        switch mode {
        case .json(var splitter, let field):
            let values: [ByteBuffer]
            do {
                values = try splitter.finish()
            } catch {
                throw Self.gatewayError(error)
            }
            mode = .json(splitter, field: field)
            return try values.map { value throws(GatewayError) in
                try encodeJSON(value, field: field, allocator: allocator)
            }
        case .rawField, .rawHttpBody:
            return sent == 0 ? [try encodeRaw(allocator.buffer(capacity: 0), allocator: allocator)] : []
        }
    }

    private mutating func encodeJSON(
        _ value: ByteBuffer,
        field: FieldDescriptor?,
        allocator: ByteBufferAllocator
    ) throws(GatewayError) -> ByteBuffer {
        var message = allocator.grpcMessageBuffer(capacity: value.readableBytes + bindings.readableBytes + 16)
        do {
            if let field {
                try transcoder.encode(json: value, asField: field, into: &message)
            } else {
                try transcoder.encode(json: value, as: input, into: &message)
            }
        } catch {
            throw GatewayError.invalidArgument(
                "message \(sent + 1): \(RequestBuilder.clientMessage(for: error))",
                cause: error
            )
        }
        message.writeImmutableBuffer(bindings)
        sent += 1
        return message
    }

    private mutating func encodeRaw(
        _ chunk: ByteBuffer,
        allocator: ByteBufferAllocator
    ) throws(GatewayError) -> ByteBuffer {
        var message = allocator.grpcMessageBuffer(capacity: chunk.readableBytes + bindings.readableBytes + 32)
        do {
            switch mode {
            case .rawField(let field, let contentType):
                try transcoder.encodeRawBytes(chunk, contentType: contentType, asField: field, into: &message)
            case .rawHttpBody(let contentType):
                transcoder.encodeHttpBody(contentType: contentType, data: chunk, into: &message)
            case .json:
                break
            }
        } catch {
            throw GatewayError.invalidArgument(RequestBuilder.clientMessage(for: error), cause: error)
        }
        message.writeImmutableBuffer(bindings)
        sent += 1
        return message
    }

    private static func gatewayError(_ error: TranscodingError) -> GatewayError {
        if error.code == .tooLarge {
            return GatewayError(
                code: .resourceExhausted,
                message: error.message,
                reason: .payloadTooLarge,
                cause: error
            )
        }
        return GatewayError.invalidArgument(RequestBuilder.clientMessage(for: error), cause: error)
    }
}
