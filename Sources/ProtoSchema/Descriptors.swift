/// The index of a message type in a ``DescriptorPool``.
public struct MessageID: Hashable, Sendable {
    /// Position in ``DescriptorPool/messages``.
    public let index: Int
    /// Creates an identifier from a pool index.
    public init(_ index: Int) { self.index = index }
}

/// The index of an enum type in a ``DescriptorPool``.
public struct EnumID: Hashable, Sendable {
    /// Position in ``DescriptorPool/enums``.
    public let index: Int
    /// Creates an identifier from a pool index.
    public init(_ index: Int) { self.index = index }
}

/// The type of a field, with message and enum types resolved to pool indices.
public enum FieldType: Hashable, Sendable {
    case double, float, int64, uint64, int32, fixed64, fixed32, bool, string, bytes
    case uint32, sfixed32, sfixed64, sint32, sint64
    case message(MessageID)
    /// A message encoded with start/end group tags instead of a length prefix: a proto2 group, or
    /// a message field whose `message_encoding` feature is `DELIMITED`.
    case group(MessageID)
    case enumeration(EnumID)

    /// The wire type used for one non-packed value of this type.
    public var wireType: WireType {
        switch self {
        case .int64, .uint64, .int32, .bool, .uint32, .sint32, .sint64, .enumeration: return .varint
        case .double, .fixed64, .sfixed64: return .fixed64
        case .float, .fixed32, .sfixed32: return .fixed32
        case .string, .bytes, .message: return .lengthDelimited
        case .group: return .startGroup
        }
    }

    /// Whether repeated values of this type may be packed (numeric scalars and enums).
    public var isPackable: Bool {
        switch self {
        case .string, .bytes, .message, .group: return false
        default: return true
        }
    }
}

/// Protobuf wire types (the low three bits of a tag).
public enum WireType: UInt8, Sendable {
    case varint = 0
    case fixed64 = 1
    case lengthDelimited = 2
    case startGroup = 3
    case endGroup = 4
    case fixed32 = 5
}

/// A message type, with its fields indexed by number and by both name styles.
///
/// A class (immutable, built once with the pool): `pool[id]` hands out a reference, not a copy of
/// every name, array and table.
public final class MessageDescriptor: Sendable {
    /// Fully qualified name without leading dot (`demo.user.v1.UserRequest`).
    public let fullName: String
    /// The file that defines it.
    public let file: String
    /// Fields in declaration order.
    public let fields: [FieldDescriptor]
    /// Names of real oneofs (synthetic proto3-optional oneofs excluded), by ``FieldDescriptor/oneofIndex``.
    public let oneofs: [String]
    /// Whether this is a synthesized map entry type.
    public let isMapEntry: Bool
    /// Whether the defining file uses proto3 syntax (an Editions file does not, whatever its
    /// features: read ``features`` and the fields' flags instead).
    public let isProto3: Bool
    /// The message's resolved features, which its fields inherit unless they override them.
    public let features: ProtoFeatures
    /// The well-known type this is, if its JSON form is special.
    public let wellKnownType: WellKnownType?

    /// Field positions in ``fields`` by proto name, JSON name and alternate name, keyed by UTF-8
    /// bytes (the same names as ``fieldIndex(named:)``).
    public let fieldIndexByName: UTF8NameTable

    private let indexByNumber: [Int32: Int]
    /// `denseIndexByNumber[n]` is the index of field `n` (-1: none) when the numbers are small
    /// (most messages): an array read instead of hashing on every field of every message.
    private let denseIndexByNumber: [Int32]
    private let indexByName: [String: Int]

    init(
        fullName: String,
        file: String,
        fields: [FieldDescriptor],
        oneofs: [String],
        isMapEntry: Bool,
        isProto3: Bool,
        features: ProtoFeatures,
        alternateNames: [String: Int] = [:]
    ) {
        self.fullName = fullName
        self.file = file
        self.fields = fields
        self.oneofs = oneofs
        self.isMapEntry = isMapEntry
        self.isProto3 = isProto3
        self.features = features
        self.wellKnownType = WellKnownType(fullName: fullName)
        var byNumber: [Int32: Int] = [:]
        var byName: [String: Int] = [:]
        for (i, field) in fields.enumerated() {
            byNumber[field.number] = i
            byName[field.name] = i
        }
        // JSON names never shadow a proto name of another field.
        for (i, field) in fields.enumerated() where byName[field.jsonName] == nil {
            byName[field.jsonName] = i
        }
        for (name, i) in alternateNames where byName[name] == nil {
            byName[name] = i
        }
        self.indexByNumber = byNumber
        self.indexByName = byName
        self.fieldIndexByName = UTF8NameTable(byName.map { (name: $0.key, value: Int32($0.value)) })
        let largest = Int(fields.map(\.number).max() ?? 0)
        var dense: [Int32] = []
        if largest < Self.denseNumberLimit {
            dense = Array(repeating: -1, count: largest + 1)
            for (i, field) in fields.enumerated() { dense[Int(field.number)] = Int32(i) }
        }
        self.denseIndexByNumber = dense
    }

    /// Field numbers below this use the dense table.
    private static let denseNumberLimit = 1024

    /// The field with this number, if any.
    public func field(number: Int32) -> FieldDescriptor? {
        fieldIndex(number: number).map { fields[$0] }
    }

    /// The field with this proto name or JSON name, if any.
    public func field(named name: String) -> FieldDescriptor? {
        indexByName[name].map { fields[$0] }
    }

    /// The position in ``fields`` of the field with this proto name or JSON name.
    public func fieldIndex(named name: String) -> Int? {
        indexByName[name]
    }

    /// The position in ``fields`` of the field with this number.
    public func fieldIndex(number: Int32) -> Int? {
        guard !denseIndexByNumber.isEmpty else { return indexByNumber[number] }
        guard number >= 0, Int(number) < denseIndexByNumber.count else { return nil }
        let index = denseIndexByNumber[Int(number)]
        return index < 0 ? nil : Int(index)
    }
}

/// An enum type.
public struct EnumDescriptor: Sendable {
    /// One named value.
    public struct Value: Hashable, Sendable {
        /// The value's name (`ACTIVE`).
        public let name: String
        /// The value's number.
        public let number: Int32
    }

    /// Fully qualified name without leading dot.
    public let fullName: String
    /// Values in declaration order (aliases included).
    public let values: [Value]
    /// Whether the enum is closed (`enum_type` `CLOSED`: proto2, or an Editions feature): unknown
    /// numbers are not valid values.
    public let isClosed: Bool
    /// The enum's resolved features (only ``ProtoFeatures/enumType`` concerns an enum).
    public let features: ProtoFeatures

    /// Value numbers by name, keyed by UTF-8 bytes (the names of ``number(named:)``).
    public let numberByNameBytes: UTF8NameTable

    private let numberByName: [String: Int32]
    private let nameByNumber: [Int32: String]

    init(fullName: String, values: [Value], features: ProtoFeatures) {
        self.fullName = fullName
        self.values = values
        self.isClosed = features.enumType == .closed
        self.features = features
        var byName: [String: Int32] = [:]
        var byNumber: [Int32: String] = [:]
        for value in values {
            byName[value.name] = value.number
            if byNumber[value.number] == nil { byNumber[value.number] = value.name }
        }
        self.numberByName = byName
        self.nameByNumber = byNumber
        self.numberByNameBytes = UTF8NameTable(byName.map { (name: $0.key, value: $0.value) })
    }

    /// The number of the value with this name.
    public func number(named name: String) -> Int32? { numberByName[name] }

    /// The first declared name for this number.
    public func name(number: Int32) -> String? { nameByNumber[number] }
}

/// The four gRPC call kinds.
public enum RPCKind: String, Hashable, Sendable {
    case unary
    case serverStreaming = "server-streaming"
    case clientStreaming = "client-streaming"
    case bidirectionalStreaming = "bidi-streaming"
}

/// A method of a gRPC service.
public struct MethodDescriptor: Hashable, Sendable {
    /// The method's simple name (`GetUser`).
    public let name: String
    /// `package.Service.Method`, the selector used by `google.api.Service` HTTP rules.
    public let fullName: String
    /// `package.Service`.
    public let serviceFullName: String
    /// The HTTP/2 `:path` of the gRPC call: `/package.Service/Method`.
    public let grpcPath: String
    /// The request message type.
    public let input: MessageID
    /// The response message type.
    public let output: MessageID
    /// The call kind, from the `stream` keywords.
    public let kind: RPCKind
    /// The `google.api.http` annotation, if the method has one.
    public let httpRule: HttpRule?

    /// Whether the client sends a stream of messages.
    public var isClientStreaming: Bool { kind == .clientStreaming || kind == .bidirectionalStreaming }
    /// Whether the server sends a stream of messages.
    public var isServerStreaming: Bool { kind == .serverStreaming || kind == .bidirectionalStreaming }
}

/// A gRPC service.
public struct ServiceDescriptor: Sendable {
    /// `package.Service`.
    public let fullName: String
    /// The file that defines it.
    public let file: String
    /// Methods in declaration order.
    public let methods: [MethodDescriptor]
}
