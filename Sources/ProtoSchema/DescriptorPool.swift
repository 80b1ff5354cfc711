public import SwiftProtobuf

/// An immutable, indexed view of every type and service in a set of descriptor files.
///
/// Built once at startup (or reload) from one or more serialized `FileDescriptorSet`s, then only
/// read: every lookup a request needs is an array index or a dictionary probe. A class, so the
/// codecs that hold it (one copy per nesting level) share one reference.
///
/// ```swift
/// let pool = try DescriptorPool(serializedSets: [bytes])
/// let method = pool.method(named: "demo.user.v1.UserService.GetUser")!
/// let request = pool[method.input]
/// ```
public final class DescriptorPool: Sendable {
    /// All message types, indexed by ``MessageID``.
    public let messages: [MessageDescriptor]
    /// All enum types, indexed by ``EnumID``.
    public let enums: [EnumDescriptor]
    /// All services, in file order.
    public let services: [ServiceDescriptor]
    /// Names of the files the pool was built from, in order.
    public let files: [String]
    /// Comments and deprecations of the files' elements (for documents such as OpenAPI).
    public let documentation: Documentation

    private let messageIDs: [String: MessageID]
    private let enumIDs: [String: EnumID]
    private let methodsByName: [String: MethodDescriptor]

    /// Builds a pool from serialized `google.protobuf.FileDescriptorSet`s, merged in order.
    ///
    /// A file present in several sets is used once when its definitions are identical.
    /// - Throws: ``SchemaError`` naming the file and type of the first problem found.
    public convenience init(serializedSets: [[UInt8]]) throws(SchemaError) {
        try self.init(files: try Self.files(in: serializedSets))
    }

    /// Builds a pool from file descriptors.
    /// - Throws: ``SchemaError`` naming the file and type of the first problem found.
    public init(files: [Google_Protobuf_FileDescriptorProto]) throws(SchemaError) {
        let built = try DescriptorPoolBuilder(files: files).build()
        self.messages = built.messages
        self.enums = built.enums
        self.services = built.services
        self.files = built.files
        self.documentation = Documentation(files: files)
        var messageIDs: [String: MessageID] = [:]
        for (i, message) in messages.enumerated() { messageIDs[message.fullName] = MessageID(i) }
        var enumIDs: [String: EnumID] = [:]
        for (i, enumeration) in enums.enumerated() { enumIDs[enumeration.fullName] = EnumID(i) }
        var methods: [String: MethodDescriptor] = [:]
        for service in services {
            for method in service.methods { methods[method.fullName] = method }
        }
        self.messageIDs = messageIDs
        self.enumIDs = enumIDs
        self.methodsByName = methods
    }

    /// The message type with this identifier.
    public subscript(id: MessageID) -> MessageDescriptor { messages[id.index] }

    /// The enum type with this identifier.
    public subscript(id: EnumID) -> EnumDescriptor { enums[id.index] }

    /// The identifier of a message type by fully qualified name (leading dot optional).
    public func messageID(named name: String) -> MessageID? {
        messageIDs[name.hasPrefix(".") ? String(name.dropFirst()) : name]
    }

    /// The identifier of an enum type by fully qualified name (leading dot optional).
    public func enumID(named name: String) -> EnumID? {
        enumIDs[name.hasPrefix(".") ? String(name.dropFirst()) : name]
    }

    /// A method by `package.Service.Method`.
    public func method(named fullName: String) -> MethodDescriptor? {
        methodsByName[fullName]
    }

    /// Every method of every service, in file order.
    public var methods: [MethodDescriptor] { services.flatMap(\.methods) }

    /// A service by `package.Service`.
    public func service(named fullName: String) -> ServiceDescriptor? {
        services.first { $0.fullName == fullName }
    }

    /// Resolves a dotted field path (`page.size`, either name style per segment) from a message.
    ///
    /// Every segment but the last must be a singular message field.
    /// - Returns: the fields along the path, or nil if a segment does not resolve.
    public func resolveFieldPath(_ path: some StringProtocol, from message: MessageID) -> [FieldDescriptor]? {
        var current = message
        var result: [FieldDescriptor] = []
        let segments = path.split(separator: ".", omittingEmptySubsequences: false)
        for (i, segment) in segments.enumerated() {
            guard let field = self[current].field(named: String(segment)) else { return nil }
            result.append(field)
            if i < segments.count - 1 {
                guard !field.isRepeated, case .message(let next) = field.type else { return nil }
                current = next
            }
        }
        return result.isEmpty ? nil : result
    }
}
