public import NIOCore
public import ProtoSchema

extension RequestTranscoder {
    /// The field paths a JSON object sets, for the update mask a `PATCH` implies
    /// (grpc-gateway's `allow_patch_feature`): each member by its proto field name, descending
    /// into singular message fields given as non-empty objects (not into maps, repeated fields or
    /// well-known types, whose whole value is replaced). Unknown members are skipped; transcoding
    /// the same body reports them.
    /// - Parameters:
    ///   - json: the request body (the `body:` field's JSON).
    ///   - type: the body field's message type.
    /// - Returns: paths relative to that message (`title`, `author.name`), in document order.
    public func fieldMaskPaths(json: ByteBuffer, as type: MessageID) throws(TranscodingError) -> [String] {
        let document = try JanssonDocument(parsing: json)
        return withExtendedLifetime(document) {
            var paths: [String] = []
            collectPaths(document.root, type, prefix: "", depth: 0, into: &paths)
            return paths
        }
    }

    /// Appends `field` (a `google.protobuf.FieldMask`) listing the paths the JSON body sets
    /// (``fieldMaskPaths(json:as:)``); nothing when it sets none.
    public func encodeUpdateMask(
        fromBody json: ByteBuffer,
        as type: MessageID,
        field: FieldDescriptor,
        into out: inout ByteBuffer
    ) throws(TranscodingError) {
        let paths = try fieldMaskPaths(json: json, as: type)
        guard !paths.isEmpty else { return }
        out.writeTag(field.number, .lengthDelimited)
        out.writeDelimited { (mask: inout ByteBuffer) in
            for path in paths {
                mask.writeTag(1, .lengthDelimited)
                mask.writeDelimited { $0.writeString(path) }
            }
        }
    }

    private func collectPaths(
        _ object: JSONValue,
        _ type: MessageID,
        prefix: String,
        depth: Int,
        into paths: inout [String]
    ) {
        guard object.kind == .object else { return }
        let descriptor = pool[type]
        object.forEachMember { (key: String, value: JSONValue) in
            guard let index = descriptor.fieldIndex(named: key) else { return }
            let field = descriptor.fields[index]
            let path = prefix + field.name
            if !field.isRepeated, field.mapEntry == nil, case .message(let id) = field.type,
                pool[id].wellKnownType == nil,
                value.kind == .object, value.memberCount > 0, depth < maxMessageDepth
            {
                collectPaths(value, id, prefix: path + ".", depth: depth + 1, into: &paths)
            } else {
                paths.append(path)
            }
        }
    }
}
