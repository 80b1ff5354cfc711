import SwiftProtobuf

/// Two-phase construction of a ``DescriptorPool``: register every type name (resolving each
/// message's and enum's ``ProtoFeatures`` on the way down), then resolve every reference. Throws
/// instead of trapping, since descriptor sets are user input.
struct DescriptorPoolBuilder {
    struct Built {
        var messages: [MessageDescriptor] = []
        var enums: [EnumDescriptor] = []
        var services: [ServiceDescriptor] = []
        var files: [String] = []
    }

    /// A message registered by name, waiting for its references to be resolved.
    struct PendingMessage {
        /// Its declaration.
        var proto: Google_Protobuf_DescriptorProto
        /// Its fully qualified name, without leading dot.
        var fullName: String
        /// The file that declares it.
        var file: Google_Protobuf_FileDescriptorProto
        /// That file's syntax or edition.
        var edition: FileEdition
        /// The message's resolved features, which its fields, oneofs and nested types inherit.
        var features: ProtoFeatures
    }

    /// An `extend` field, waiting for its extendee to be resolved.
    struct PendingExtension {
        /// Its declaration.
        var proto: Google_Protobuf_FieldDescriptorProto
        /// The scope it is declared in (the package, or the enclosing message).
        var scope: String
        /// The file that declares it.
        var file: Google_Protobuf_FileDescriptorProto
        /// That file's syntax or edition.
        var edition: FileEdition
        /// The features of that scope (the file's or the enclosing message's).
        var scopeFeatures: ProtoFeatures
    }

    private let files: [Google_Protobuf_FileDescriptorProto]
    /// Every message registered so far, by ``MessageID`` index.
    private(set) var pendingMessages: [PendingMessage] = []
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
            let edition = try FileEdition(file)
            let features = edition.defaults.child(file.options.features, in: edition)
            for message in file.messageType {
                try register(message, scope: scope, file: file, edition: edition, parent: features)
            }
            for enumeration in file.enumType {
                try register(enumeration, scope: scope, file: file, edition: edition, parent: features)
            }
            for field in file.extension {
                pendingExtensions.append(
                    PendingExtension(proto: field, scope: scope, file: file, edition: edition, scopeFeatures: features)
                )
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

    /// `name` in `scope` (a package or message name; empty for none).
    func qualified(_ name: String, in scope: String) -> String {
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
        file: Google_Protobuf_FileDescriptorProto,
        edition: FileEdition,
        parent: ProtoFeatures
    ) throws(SchemaError) {
        let fullName = qualified(message.name, in: scope)
        try checkUnique(fullName, file: file.name)
        let features = parent.child(message.options.features, in: edition)
        messageIDs[fullName] = MessageID(pendingMessages.count)
        pendingMessages.append(
            PendingMessage(proto: message, fullName: fullName, file: file, edition: edition, features: features)
        )
        for nested in message.nestedType {
            try register(nested, scope: fullName, file: file, edition: edition, parent: features)
        }
        for enumeration in message.enumType {
            try register(enumeration, scope: fullName, file: file, edition: edition, parent: features)
        }
        for field in message.extension {
            pendingExtensions.append(
                PendingExtension(proto: field, scope: fullName, file: file, edition: edition, scopeFeatures: features)
            )
        }
    }

    private mutating func register(
        _ enumeration: Google_Protobuf_EnumDescriptorProto,
        scope: String,
        file: Google_Protobuf_FileDescriptorProto,
        edition: FileEdition,
        parent: ProtoFeatures
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
                features: parent.child(enumeration.options.features, in: edition)
            )
        )
    }

    // MARK: Phase 2: references

    /// Resolves a type reference the way protoc does: fully qualified with a leading dot, or
    /// relative to the enclosing scopes from innermost outwards.
    func lookup(_ typeName: String, scope: String) -> FieldType? {
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
        let syntheticOneofs = Set(
            proto.field.filter { $0.proto3Optional && $0.hasOneofIndex }.map { Int($0.oneofIndex) }
        )
        var realOneofIndex: [Int: Int] = [:]
        var oneofNames: [String] = []
        for (i, decl) in proto.oneofDecl.enumerated() where !syntheticOneofs.contains(i) {
            realOneofIndex[i] = oneofNames.count
            oneofNames.append(decl.name)
        }
        // A oneof's features sit between the message's and its members'.
        let oneofFeatures = proto.oneofDecl.map { pending.features.child($0.options.features, in: pending.edition) }
        var fields: [FieldDescriptor] = []
        for field in proto.field {
            let inOneof = field.hasOneofIndex && Int(field.oneofIndex) < oneofFeatures.count
            fields.append(
                try resolve(
                    field,
                    scope: pending.fullName,
                    file: pending.file,
                    edition: pending.edition,
                    parent: inOneof ? oneofFeatures[Int(field.oneofIndex)] : pending.features,
                    inMapEntry: proto.options.mapEntry,
                    oneofIndex: field.hasOneofIndex ? realOneofIndex[Int(field.oneofIndex)] : nil
                )
            )
        }
        // Extensions are fields named by their full name in brackets, which is also their
        // JSON key (`"[pkg.ext]": 1`) in both name styles.
        for pending in extensionsByExtendee[messageIDs[pending.fullName]!.index] ?? [] {
            let name = "[\(qualified(pending.proto.name, in: pending.scope))]"
            fields.append(
                try resolve(
                    pending.proto,
                    scope: pending.scope,
                    file: pending.file,
                    edition: pending.edition,
                    parent: pending.scopeFeatures,
                    inMapEntry: false,
                    oneofIndex: nil,
                    name: name
                )
            )
        }
        var numbers = Set<Int32>()
        for field in fields where !numbers.insert(field.number).inserted {
            throw SchemaError(
                code: .invalidDefinition,
                message: "\(pending.file.name): \(pending.fullName) uses field number \(field.number) twice"
            )
        }
        let isMapEntry = proto.options.mapEntry
        if isMapEntry, !(fields.count == 2 && fields[0].number == 1 && fields[1].number == 2) {
            throw SchemaError(
                code: .invalidDefinition,
                message: "\(pending.file.name): map entry \(pending.fullName) must have fields key = 1 and value = 2"
            )
        }
        // A group field (or a group-like delimited field of an Editions file) is also known by
        // its group's type name (`Data` for `data`), the name text format and some JSON printers
        // use for it.
        var groupNames: [String: Int] = [:]
        for (i, field) in proto.field.enumerated() {
            if let typeName = groupTypeName(of: fields[i], declaredAs: field, in: pending) { groupNames[typeName] = i }
        }
        return MessageDescriptor(
            fullName: pending.fullName,
            file: pending.file.name,
            fields: fields,
            oneofs: oneofNames,
            isMapEntry: isMapEntry,
            isProto3: pending.edition == .proto3,
            features: pending.features,
            alternateNames: groupNames
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
}
