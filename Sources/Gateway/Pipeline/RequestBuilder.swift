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
        let transcoder = snapshot.requestTranscoder(for: match.route)
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
            if let mask = Self.impliedUpdateMask(match: match, pool: snapshot.pool), body.readableBytes > 0 {
                try transcoder.encodeUpdateMask(fromBody: body, as: mask.bodyType, field: mask.field, into: &message)
            }
        } catch {
            throw GatewayError.invalidArgument(Self.clientMessage(for: error), cause: error)
        }
        return message
    }

    /// The `update_mask` a PATCH request implies (grpc-gateway's `allow_patch_feature`): a
    /// `PATCH` rule whose `body` names a message field, on a request message with a
    /// `google.protobuf.FieldMask update_mask` the client did not set from the URL. The mask
    /// then lists the fields the JSON body sets.
    static func impliedUpdateMask(match: RouteMatch, pool: DescriptorPool) -> (field: FieldDescriptor, bodyType: MessageID)? {
        let route = match.route
        guard route.verb == "PATCH", case .field(let bodyField) = route.body, !bodyField.isRepeated,
            case .message(let bodyType) = bodyField.type,
            let mask = pool[route.method.input].field(named: "update_mask"), !mask.isRepeated,
            case .message(let maskType) = mask.type, pool[maskType].wellKnownType == .fieldMask,
            !match.bindings.contains(where: { $0.fieldPath.first?.number == mask.number })
        else { return nil }
        return (mask, bodyType)
    }

    /// The sentence a client sees: the problem, then the field it concerns.
    static func clientMessage(for error: TranscodingError) -> String {
        if error.fieldPath.isEmpty || error.message.contains(error.fieldPath) { return error.message }
        return "\(error.message) (field \(error.fieldPath))"
    }
}
