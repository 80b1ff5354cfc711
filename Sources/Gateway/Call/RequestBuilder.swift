import NIOCore
import ProtoSchema
import Routing
import Transcoding
import Upstream

/// Builds the protobuf request message of a matched route from its whole body: the JSON body
/// (whole message or one field) or raw bytes, then the path and query bindings appended after
/// it, so that protobuf's merge rules let URL values win (grpc-httpjson-transcoding's request
/// weaving).
enum RequestBuilder {
    /// The request message.
    /// - Parameters:
    ///   - plan: The route's request plan.
    ///   - bindings: The path and query values of the match.
    ///   - body: The whole request body.
    ///   - contentType: The request's `Content-Type` (raw bodies keep it in `HttpBody`).
    ///   - allocator: Allocates the message.
    /// - Throws: ``GatewayError`` (400) naming the offending field.
    static func build(
        _ plan: RequestPlan,
        bindings: [FieldBinding],
        body: ByteBuffer,
        contentType: String?,
        allocator: ByteBufferAllocator
    ) throws(GatewayError) -> ByteBuffer {
        // Room before the message for its gRPC prefix: the upstream call frames it in place.
        var message = allocator.grpcMessageBuffer(capacity: body.readableBytes + 32)
        let transcoder = plan.transcoder
        do {
            switch plan.body {
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
                        try transcoder.encode(json: body, as: plan.input, into: &message)
                    }
                }
            }
            try transcoder.encode(bindings: bindings, into: &message)
            if let mask = plan.impliedUpdateMask, body.readableBytes > 0,
                !bindings.contains(where: { $0.fieldPath.first?.number == mask.field.number })
            {
                // The URL did not set the mask: the body's keys are the fields to update.
                try transcoder.encodeUpdateMask(fromBody: body, as: mask.bodyType, field: mask.field, into: &message)
            }
        } catch {
            throw GatewayError.invalidArgument(clientMessage(for: error), cause: error)
        }
        return message
    }

    /// The sentence a client sees: the problem, then the field it concerns.
    static func clientMessage(for error: TranscodingError) -> String {
        if error.fieldPath.isEmpty || error.message.contains(error.fieldPath) { return error.message }
        return "\(error.message) (field \(error.fieldPath))"
    }
}
