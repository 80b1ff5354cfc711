import SwiftProtobuf

/// Two-phase construction of a ``DescriptorPool``: register every type name, then resolve every
/// reference. Throws instead of trapping, since descriptor sets are user input.
struct DescriptorPoolBuilder {
    struct Built {
        var messages: [MessageDescriptor] = []
        var enums: [EnumDescriptor] = []
        var services: [ServiceDescriptor] = []
        var files: [String] = []
    }

    private struct PendingMessage {
        var proto: Google_Protobuf_DescriptorProto
        var fullName: String
        var file: Google_Protobuf_FileDescriptorProto
    }

    /// An `extend` field, waiting for its extendee to be resolved.
    private struct PendingExtension {
        var proto: Google_Protobuf_FieldDescriptorProto
        /// The scope it is declared in (the package, or the enclosing message).
        var scope: String
        var file: Google_Protobuf_FileDescriptorProto
    }

    private let files: [Google_Protobuf_FileDescriptorProto]
    private var pendingMessages: [PendingMessage] = []
    private var pendingExtensions: [PendingExtension] = []
    /// Extensions by the index of the message they extend.
    private var extensionsByExtendee: [Int: [PendingExtension]] = [:]
    private var messageIDs: [String: MessageID] = [:]
    private var enumIDs: [String: EnumID] = [:]
    private var built = Built()

    init(files: [Google_Protobuf_FileDescriptorProto]) {
        self.files = files
    }

    consuming func build() throws(SchemaError) -> Built {
        let unique = try deduplicated(files)
        for file in unique {
            built.files.append(file.name)
            let scope = file.package
            for message in file.messageType {
                try register(message, scope: scope, file: file)
            }
            for enumeration in file.enumType {
                try register(enumeration, scope: scope, file: file)
            }
            for field in file.extension {
                pendingExtensions.append(PendingExtension(proto: field, scope: scope, file: file))
            }
        }
        for pending in pendingExtensions {
            let owner = "\(pending.file.name): extension \(qualified(pending.proto.name, in: pending.scope))"
            guard case .message(let extendee) = lookup(pending.proto.extendee, scope: pending.scope) else {
                throw SchemaError(
                    code: .unresolvedType,
                    message: "\(owner) extends unknown type \(pending.proto.extendee)"
                )
            }
            extensionsByExtendee[extendee.index, default: []].append(pending)
        }
        for pending in pendingMessages {
            built.messages.append(try resolve(pending))
        }
        for file in unique {
            for service in file.service {
                built.services.append(try resolve(service, file: file))
            }
        }
        return built
    }

    // MARK: Phase 1: names

    private func deduplicated(
        _ files: [Google_Protobuf_FileDescriptorProto]
    ) throws(SchemaError) -> [Google_Protobuf_FileDescriptorProto] {
        var seen: [String: Google_Protobuf_FileDescriptorProto] = [:]
        var result: [Google_Protobuf_FileDescriptorProto] = []
        for file in files {
            if let earlier = seen[file.name] {
                // Source info (comments, spans) may differ between builds of the same file.
                var withoutSource = (earlier, file)
                withoutSource.0.clearSourceCodeInfo()
                withoutSource.1.clearSourceCodeInfo()
                guard withoutSource.0 == withoutSource.1 else {
                    throw SchemaError(
                        code: .duplicateName,
                        message: "file \(file.name) appears twice with different contents"
                    )
                }
                continue
            }
            seen[file.name] = file
            result.append(file)
        }
        return result
    }

    private func qualified(_ name: String, in scope: String) -> String {
        scope.isEmpty ? name : "\(scope).\(name)"
    }

    private mutating func checkUnique(_ fullName: String, file: String) throws(SchemaError) {
        if messageIDs[fullName] != nil || enumIDs[fullName] != nil {
            throw SchemaError(code: .duplicateName, message: "\(file): type \(fullName) is defined twice")
        }
    }

    private mutating func register(
        _ message: Google_Protobuf_DescriptorProto,
        scope: String,
        file: Google_Protobuf_FileDescriptorProto
    ) throws(SchemaError) {
        let fullName = qualified(message.name, in: scope)
        try checkUnique(fullName, file: file.name)
        messageIDs[fullName] = MessageID(pendingMessages.count)
        pendingMessages.append(PendingMessage(proto: message, fullName: fullName, file: file))
        for nested in message.nestedType {
            try register(nested, scope: fullName, file: file)
        }
        for enumeration in message.enumType {
            try register(enumeration, scope: fullName, file: file)
        }
        for field in message.extension {
            pendingExtensions.append(PendingExtension(proto: field, scope: fullName, file: file))
        }
    }

    private mutating func register(
        _ enumeration: Google_Protobuf_EnumDescriptorProto,
        scope: String,
        file: Google_Protobuf_FileDescriptorProto
    ) throws(SchemaError) {
        let fullName = qualified(enumeration.name, in: scope)
        try checkUnique(fullName, file: file.name)
        if enumeration.value.isEmpty {
            throw SchemaError(code: .invalidDefinition, message: "\(file.name): enum \(fullName) has no values")
        }
        enumIDs[fullName] = EnumID(built.enums.count)
        built.enums.append(
            EnumDescriptor(
                fullName: fullName,
                values: enumeration.value.map { EnumDescriptor.Value(name: $0.name, number: $0.number) },
                isClosed: file.syntax != "proto3" && file.syntax != "editions"
            )
        )
    }

    // MARK: Phase 2: references

    /// Resolves a type reference the way protoc does: fully qualified with a leading dot, or
    /// relative to the enclosing scopes from innermost outwards.
    private func lookup(_ typeName: String, scope: String) -> FieldType? {
        if typeName.hasPrefix(".") {
            let name = String(typeName.dropFirst())
            if let id = messageIDs[name] { return .message(id) }
            if let id = enumIDs[name] { return .enumeration(id) }
            return nil
        }
        var scopeParts = scope.split(separator: ".").map(String.init)
        while true {
            let candidate = (scopeParts + [typeName]).joined(separator: ".")
            if let id = messageIDs[candidate] { return .message(id) }
            if let id = enumIDs[candidate] { return .enumeration(id) }
            if scopeParts.isEmpty { return nil }
            scopeParts.removeLast()
        }
    }

    private func resolve(_ pending: PendingMessage) throws(SchemaError) -> MessageDescriptor {
        let proto = pending.proto
        let isProto3 = pending.file.syntax == "proto3"
        let syntheticOneofs = Set(
            proto.field.filter { $0.proto3Optional && $0.hasOneofIndex }.map { Int($0.oneofIndex) }
        )
        var realOneofIndex: [Int: Int] = [:]
        var oneofNames: [String] = []
        for (i, decl) in proto.oneofDecl.enumerated() where !syntheticOneofs.contains(i) {
            realOneofIndex[i] = oneofNames.count
            oneofNames.append(decl.name)
        }
        var fields: [FieldDescriptor] = []
        for field in proto.field {
            fields.append(
                try resolve(
                    field,
                    scope: pending.fullName,
                    file: pending.file,
                    oneofIndex: field.hasOneofIndex ? realOneofIndex[Int(field.oneofIndex)] : nil
                )
            )
        }
        // Extensions are fields named by their full name in brackets, which is also their
        // JSON key (`"[pkg.ext]": 1`) in both name styles.
        for pending in extensionsByExtendee[messageIDs[pending.fullName]!.index] ?? [] {
            let name = "[\(qualified(pending.proto.name, in: pending.scope))]"
            fields.append(
                try resolve(pending.proto, scope: pending.scope, file: pending.file, oneofIndex: nil, name: name)
            )
        }
        let isMapEntry = proto.options.mapEntry
        if isMapEntry, !(fields.count == 2 && fields[0].number == 1 && fields[1].number == 2) {
            throw SchemaError(
                code: .invalidDefinition,
                message: "\(pending.file.name): map entry \(pending.fullName) must have fields key = 1 and value = 2"
            )
        }
        // A group field is also known by its group's type name (`Data` for `data`), the name
        // text format and some JSON printers use for it.
        var groupNames: [String: Int] = [:]
        for (i, field) in proto.field.enumerated() where field.type == .group {
            if let typeName = field.typeName.split(separator: ".").last { groupNames[String(typeName)] = i }
        }
        return MessageDescriptor(
            fullName: pending.fullName,
            file: pending.file.name,
            fields: fields,
            oneofs: oneofNames,
            isMapEntry: isMapEntry,
            isProto3: isProto3,
            alternateNames: groupNames
        )
    }

    /// Resolves one field declared in `scope` (a message, or a package for a top-level
    /// extension); `name` overrides both names (extensions).
    private func resolve(
        _ field: Google_Protobuf_FieldDescriptorProto,
        scope: String,
        file: Google_Protobuf_FileDescriptorProto,
        oneofIndex: Int?,
        name: String? = nil
    ) throws(SchemaError) -> FieldDescriptor {
        let isProto3 = file.syntax == "proto3"
        let owner = "\(file.name): \(qualified(field.name, in: scope))"
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
            case (.message, .message), (.enum, .enumeration): type = resolved
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
        if isRepeated, case .message(let id) = type,
            let entry = pendingMessages[id.index].proto as Google_Protobuf_DescriptorProto?,
            entry.options.mapEntry
        {
            mapEntry = id
        }
        let isPacked: Bool
        if !isRepeated || !type.isPackable {
            isPacked = false
        } else if field.options.hasPacked {
            isPacked = field.options.packed
        } else {
            isPacked = isProto3
        }
        let jsonName = name ?? (field.hasJsonName ? field.jsonName : Self.lowerCamelCase(field.name))
        let hasPresence: Bool
        if isRepeated {
            hasPresence = false
        } else if case .message = type {
            hasPresence = true
        } else if case .group = type {
            hasPresence = true
        } else {
            hasPresence = oneofIndex != nil || field.proto3Optional || !isProto3
        }
        return FieldDescriptor(
            name: name ?? field.name,
            jsonName: jsonName,
            number: field.number,
            type: type,
            isRepeated: isRepeated,
            isPacked: isPacked,
            mapEntry: mapEntry,
            oneofIndex: oneofIndex,
            hasPresence: hasPresence,
            isProto3Optional: field.proto3Optional
        )
    }

    private func resolve(
        _ service: Google_Protobuf_ServiceDescriptorProto,
        file: Google_Protobuf_FileDescriptorProto
    ) throws(SchemaError) -> ServiceDescriptor {
        let serviceName = qualified(service.name, in: file.package)
        var methods: [MethodDescriptor] = []
        for method in service.method {
            let owner = "\(file.name): \(serviceName).\(method.name)"
            guard case .message(let input) = lookup(method.inputType, scope: serviceName) else {
                throw SchemaError(code: .unresolvedType, message: "\(owner) has unknown input type \(method.inputType)")
            }
            guard case .message(let output) = lookup(method.outputType, scope: serviceName) else {
                throw SchemaError(
                    code: .unresolvedType,
                    message: "\(owner) has unknown output type \(method.outputType)"
                )
            }
            let rule: HttpRule?
            do {
                rule = try HttpRule.fromMethodOptionsUnknownFields(Array(method.options.unknownFields.data))
            } catch {
                throw SchemaError(
                    code: .invalidHttpRule,
                    message: "\(owner): malformed google.api.http option",
                    cause: error
                )
            }
            let kind: RPCKind
            switch (method.clientStreaming, method.serverStreaming) {
            case (false, false): kind = .unary
            case (false, true): kind = .serverStreaming
            case (true, false): kind = .clientStreaming
            case (true, true): kind = .bidirectionalStreaming
            }
            methods.append(
                MethodDescriptor(
                    name: method.name,
                    fullName: "\(serviceName).\(method.name)",
                    serviceFullName: serviceName,
                    grpcPath: "/\(serviceName)/\(method.name)",
                    input: input,
                    output: output,
                    kind: kind,
                    httpRule: rule
                )
            )
        }
        return ServiceDescriptor(fullName: serviceName, file: file.name, methods: methods)
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
