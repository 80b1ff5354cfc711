import NIOCore
import ProtoSchema
import Routing
import Transcoding

/// Builds the protobuf request message for a matched route: the JSON body (whole message or
/// one field), then the path and query bindings appended after it, so that protobuf's merge
/// rules let URL values win (grpc-httpjson-transcoding's request weaving).
struct RequestBuilder {
    let snapshot: GatewaySnapshot
    let allocator: ByteBufferAllocator

    func build(match: RouteMatch, body: ByteBuffer, contentType: String?) throws(GatewayError) -> ByteBuffer {
        var message = allocator.buffer(capacity: body.readableBytes + 32)
        let transcoder = snapshot.requestTranscoder
        do {
            switch RequestBodyForm(route: match.route, pool: snapshot.pool) {
            case .none:
                break
            case .rawField(let field):
                try transcoder.encodeRawBytes(body, contentType: contentType, asField: field, into: &message)
            case .httpBody:
                transcoder.encodeHttpBody(contentType: contentType, data: body, into: &message)
            case .json(let field):
                if body.readableBytes > 0 {
                    if let field {
                        try transcoder.encode(json: body, asField: field, into: &message)
                    } else {
                        try transcoder.encode(json: body, as: match.route.method.input, into: &message)
                    }
                }
            }
            try transcoder.encode(bindings: match.bindings, into: &message)
        } catch {
            throw GatewayError.invalidArgument(Self.clientMessage(for: error), cause: error)
        }
        return message
    }

    /// The sentence a client sees: the problem, then the field it concerns.
    static func clientMessage(for error: TranscodingError) -> String {
        if error.fieldPath.isEmpty || error.message.contains(error.fieldPath) { return error.message }
        return "\(error.message) (field \(error.fieldPath))"
    }
}
