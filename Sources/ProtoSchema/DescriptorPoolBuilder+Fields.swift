import SwiftProtobuf

/// Fields: types, names, and the per-field flags their resolved ``ProtoFeatures`` come down to.
extension DescriptorPoolBuilder {
    /// Resolves one field declared in `scope` (a message, or a package for a top-level
    /// extension) whose parent element has `parent` features (its oneof, message, or an
    /// extension's scope); `name` overrides both names (extensions).
    func resolve(
        _ field: Google_Protobuf_FieldDescriptorProto,
        scope: String,
        file: Google_Protobuf_FileDescriptorProto,
        edition: FileEdition,
        parent: ProtoFeatures,
        inMapEntry: Bool,
        oneofIndex: Int?,
        name: String? = nil
    ) throws(SchemaError) -> FieldDescriptor {
        let owner = "\(file.name): \(qualified(field.name, in: scope))"
        // The wire's limit (a tag holds 29 bits of field number), as protoc and every runtime have it.
        guard (1...536_870_911).contains(field.number) else {
            throw SchemaError(
                code: .invalidDefinition,
                message: "\(owner) has field number \(field.number); field numbers run from 1 to 536870911"
            )
        }
        let features = ProtoFeatures.field(field, parent: parent, in: edition)
        let type: FieldType
        switch field.type {
        case .double: type = .double
        case .float: type = .float
        case .int64: type = .int64
        case .uint64: type = .uint64
        case .int32: type = .int32
        case .fixed64: type = .fixed64
        case .fixed32: type = .fixed32
        case .bool: type = .bool
        case .string: type = .string
        case .bytes: type = .bytes
        case .uint32: type = .uint32
        case .sfixed32: type = .sfixed32
        case .sfixed64: type = .sfixed64
        case .sint32: type = .sint32
        case .sint64: type = .sint64
        case .message, .group, .enum:
            guard let resolved = lookup(field.typeName, scope: scope) else {
                throw SchemaError(code: .unresolvedType, message: "\(owner) refers to unknown type \(field.typeName)")
            }
            switch (field.type, resolved) {
            case (.message, .message(let id)):
                // A delimited message field is a group on the wire, except in and of map entries,
                // which are always length-prefixed (as protoc's descriptor builder has it).
                let isDelimited =
                    features.messageEncoding == .delimited && !inMapEntry
                    && !pendingMessages[id.index].proto.options.mapEntry
                type = isDelimited ? .group(id) : resolved
            case (.enum, .enumeration): type = resolved
            case (.group, .message(let id)): type = .group(id)
            default:
                throw SchemaError(
                    code: .invalidDefinition,
                    message: "\(owner): \(field.typeName) is not a \(field.type == .enum ? "enum" : "message")"
                )
            }
        }
        let isRepeated = field.label == .repeated
        var mapEntry: MessageID?
        if isRepeated, case .message(let id) = type, pendingMessages[id.index].proto.options.mapEntry {
            mapEntry = id
        }
        let jsonName = name ?? (field.hasJsonName ? field.jsonName : Self.lowerCamelCase(field.name))
        let hasPresence: Bool
        switch type {
        case _ where isRepeated: hasPresence = false
        case .message, .group: hasPresence = true
        default:
            // Extensions (the fields given a `name`), oneof members and proto3 `optional` fields
            // (a synthetic oneof) always track presence, whatever field_presence says.
            hasPresence =
                name != nil || oneofIndex != nil || field.proto3Optional || features.fieldPresence != .implicit
        }
        return FieldDescriptor(
            name: name ?? field.name,
            jsonName: jsonName,
            number: field.number,
            type: type,
            isRepeated: isRepeated,
            isPacked: isRepeated && type.isPackable && features.repeatedFieldEncoding == .packed,
            mapEntry: mapEntry,
            oneofIndex: oneofIndex,
            hasPresence: hasPresence,
            isProto3Optional: field.proto3Optional,
            features: features
        )
    }

    /// The group type name a field is also known by: the last component of its message type's
    /// name when the field is group-like, that is a group (or delimited message field) named
    /// after its type in lower case, whose type is declared in the same file and scope, as protoc
    /// decides it.
    func groupTypeName(
        of field: FieldDescriptor,
        declaredAs proto: Google_Protobuf_FieldDescriptorProto,
        in message: PendingMessage
    ) -> String? {
        guard case .group(let id) = field.type else { return nil }
        let target = pendingMessages[id.index]
        guard target.file.name == message.file.name,
            target.fullName == qualified(target.proto.name, in: message.fullName),
            proto.name == target.proto.name.lowercased()
        else { return nil }
        return target.proto.name
    }

    /// protoc's default JSON name: underscores removed, the following letter upper-cased.
    static func lowerCamelCase(_ name: String) -> String {
        var result = ""
        var upperNext = false
        for character in name {
            if character == "_" {
                upperNext = true
            } else if upperNext {
                result.append(contentsOf: character.uppercased())
                upperNext = false
            } else {
                result.append(character)
            }
        }
        return result
    }
}
