import NIOCore
import ProtoSchema

/// Well-known types in their special proto3 JSON forms: JSON to wire bytes.
extension RequestTranscoder {
    /// Encodes a `Timestamp`, `Duration`, `FieldMask`, wrapper, `Struct`, `Value`, `ListValue`
    /// or `Any` from its JSON form (`value` may be null only for `Value`).
    func encodeWellKnown(
        _ kind: WellKnownType,
        _ value: JSONValue,
        _ descriptor: MessageDescriptor,
        into out: inout ByteBuffer
    ) throws(TranscodingError) {
        switch kind {
        case .timestamp, .duration, .fieldMask:
            try encodeWellKnown(kind, text: try string(value, for: descriptor), into: &out)
        case .wrapper:
            guard let field = descriptor.field(number: 1) else { throw .invalid("malformed wrapper type") }
            let start = out.writerIndex
            try encodeSingle(1, field.type, value, into: &out)
            // The wrapped `value` has no presence: a default (all zero bytes after the one-byte
            // tag: 0, false, "", 0.0 but not -0.0) stays off the wire, as any serializer has it.
            if out.readableBytesView[(start + 1)...].allSatisfy({ $0 == 0 }) {
                out.moveWriterIndex(to: start)
            }
        case .structValue:
            guard value.kind == .object else {
                throw .invalid("expected an object for google.protobuf.Struct, got \(value.kindName)")
            }
            guard let field = descriptor.field(number: 1), let entry = field.mapEntry,
                case .message(let valueType)? = pool[entry].field(number: 2)?.type
            else { throw .invalid("malformed google.protobuf.Struct") }
            let inner = try nested()
            try value.forEachMember { (key: String, member: JSONValue) throws(TranscodingError) in
                try withPath(.mapKey(key)) { () throws(TranscodingError) in
                    out.writeTag(1, .lengthDelimited)
                    try out.writeDelimited { (entry: inout ByteBuffer) throws(TranscodingError) in
                        entry.writeTag(1, .lengthDelimited)
                        entry.writeDelimited { $0.writeString(key) }
                        entry.writeTag(2, .lengthDelimited)
                        try entry.writeDelimited { (body: inout ByteBuffer) throws(TranscodingError) in
                            try inner.encodeMessage(member, valueType, into: &body)
                        }
                    }
                }
            }
        case .listValue:
            guard value.kind == .array else {
                throw .invalid("expected an array for google.protobuf.ListValue, got \(value.kindName)")
            }
            guard case .message(let valueType)? = descriptor.field(number: 1)?.type else {
                throw .invalid("malformed google.protobuf.ListValue")
            }
            let inner = try nested()
            for i in 0..<value.count {
                let element = value[i]
                try withPath(.index(i)) { () throws(TranscodingError) in
                    out.writeTag(1, .lengthDelimited)
                    try out.writeDelimited { (body: inout ByteBuffer) throws(TranscodingError) in
                        try inner.encodeMessage(element, valueType, into: &body)
                    }
                }
            }
        case .value:
            try encodeValueKind(value, descriptor, into: &out)
        case .any:
            try encodeAny(value, into: &out)
        case .empty:
            // Empty is an ordinary message (encodeMessage does not dispatch it here).
            try encodeFields(value, descriptor, into: &out)
        }
    }

    /// Encodes a `Timestamp`, `Duration` or `FieldMask` from its JSON string's text (a JSON
    /// member or a query parameter).
    func encodeWellKnown(_ kind: WellKnownType, text: String, into out: inout ByteBuffer) throws(TranscodingError) {
        switch kind {
        case .timestamp:
            guard let (seconds, nanos) = WellKnownText.timestamp(text) else {
                throw .invalid("invalid Timestamp \"\(text)\" (expected RFC 3339 between 0001-01-01 and 9999-12-31)")
            }
            out.writeSecondsAndNanos(seconds, nanos)
        case .duration:
            guard let (seconds, nanos) = WellKnownText.duration(text) else {
                throw .invalid(
                    "invalid Duration \"\(text)\" (expected seconds with up to 9 decimals and \"s\", within ±315576000000s)"
                )
            }
            out.writeSecondsAndNanos(seconds, nanos)
        case .fieldMask:
            for path in text.split(separator: ",") {
                guard let protoPath = WellKnownText.protoPath(String(path)) else {
                    throw .invalid("invalid FieldMask path \"\(path)\" (expected lowerCamelCase)")
                }
                out.writeTag(1, .lengthDelimited)
                out.writeDelimited { $0.writeString(protoPath) }
            }
        default:
            throw TranscodingError(
                code: .unsupported,
                message: "google.protobuf types of kind \(kind) have no string form"
            )
        }
    }

    private func string(_ value: JSONValue, for descriptor: MessageDescriptor) throws(TranscodingError) -> String {
        guard value.kind == .string else {
            throw .invalid("expected a string for \(descriptor.fullName), got \(value.kindName)")
        }
        return value.string
    }

    /// `google.protobuf.Value`: the oneof member matching the JSON value's kind.
    private func encodeValueKind(
        _ value: JSONValue,
        _ descriptor: MessageDescriptor,
        into out: inout ByteBuffer
    )
        throws(TranscodingError)
    {
        if out.writeValueScalar(value.scalar) { return }
        let number: Int32 = value.kind == .object ? 5 : 6
        guard case .message(let id)? = descriptor.field(number: number)?.type else {
            throw .invalid("malformed google.protobuf.Value")
        }
        let inner = try nested()
        out.writeTag(number, .lengthDelimited)
        try out.writeDelimited { (body: inout ByteBuffer) throws(TranscodingError) in
            try inner.encodeMessage(value, id, into: &body)
        }
    }

    /// `google.protobuf.Any`: `@type` names the packed message; its fields are the other members,
    /// or `"value"` for a packed type with a special JSON form.
    private func encodeAny(_ object: JSONValue, into out: inout ByteBuffer) throws(TranscodingError) {
        guard object.kind == .object else {
            throw .invalid("expected an object for google.protobuf.Any, got \(object.kindName)")
        }
        guard let typeMember = object.member("@type") else {
            guard object.memberCount == 0 else { throw .invalid("google.protobuf.Any needs an \"@type\" member") }
            return
        }
        guard typeMember.kind == .string else { throw .invalid("\"@type\" must be a string") }
        let url = typeMember.string
        let name = url.split(separator: "/").last.map(String.init) ?? url
        guard url.contains("/"), let id = pool.messageID(named: name) else {
            throw .invalid("google.protobuf.Any \"@type\" \(url) names no message in the descriptor sets")
        }
        let packed = pool[id]
        let inner = try nested()
        var body = ByteBuffer()
        if let kind = packed.wellKnownType, kind != .empty {
            try object.forEachMember { (key: String, _: JSONValue) throws(TranscodingError) in
                guard key == "@type" || key == "value" else {
                    throw TranscodingError(
                        code: .unknownField,
                        message: "unknown field \"\(key)\" in google.protobuf.Any"
                    )
                }
            }
            guard let member = object.member("value") else {
                throw .invalid("google.protobuf.Any holding \(packed.fullName) needs a \"value\" member")
            }
            try inner.encodeMessage(member, id, into: &body)
        } else if packed.wellKnownType == .empty, let member = object.member("value") {
            // Empty is written like any message (`{"@type": ...}`); `"value": {}` is accepted too.
            guard member.kind == .object, member.memberCount == 0, object.memberCount == 2 else {
                throw .invalid("google.protobuf.Any holding google.protobuf.Empty takes no fields")
            }
        } else {
            try inner.encodeFields(object, packed, skipping: "@type", into: &body)
        }
        out.writeTag(1, .lengthDelimited)
        out.writeDelimited { $0.writeString(url) }
        // proto3 leaves an empty `bytes value` off the wire, as any serializer would.
        if body.readableBytes > 0 {
            out.writeTag(2, .lengthDelimited)
            out.writeDelimited { $0.writeImmutableBuffer(body) }
        }
    }
}
