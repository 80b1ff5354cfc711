/// One field of a message type.
///
/// A class (immutable, built once with the pool) so that the codecs' per-field accesses share one
/// reference instead of copying two strings and the rest on every lookup.
public final class FieldDescriptor: Hashable, Sendable {
    /// The name in the `.proto` file (`user_id`).
    public let name: String
    /// The proto3 JSON name (`userId`, or the `json_name` option).
    public let jsonName: String
    /// The field number.
    public let number: Int32
    /// The resolved type.
    public let type: FieldType
    /// `repeated` (maps are repeated map-entry messages).
    public let isRepeated: Bool
    /// Repeated scalars are written packed (`repeated_field_encoding` `PACKED`: proto3 and Editions
    /// default, or `[packed = true]`).
    public let isPacked: Bool
    /// Set when this field is a map: the map-entry message (field 1 key, field 2 value).
    public let mapEntry: MessageID?
    /// Index into ``MessageDescriptor/oneofs`` for members of a real (non-synthetic) oneof.
    public let oneofIndex: Int?
    /// Whether presence is tracked: message fields, oneof members, extensions, proto3 `optional`,
    /// and scalars whose `field_presence` is not `IMPLICIT` (proto2, Editions' default).
    public let hasPresence: Bool
    /// `proto3 optional` (a synthetic oneof in the descriptor).
    public let isProto3Optional: Bool
    /// proto2 `required`, or `field_presence` `LEGACY_REQUIRED`. Recorded, not enforced: the
    /// codecs accept messages that lack a required field.
    public let isRequired: Bool
    /// A `string` field whose `utf8_validation` is `VERIFY` (proto3, Editions' default): invalid
    /// UTF-8 in it makes the wire bytes malformed. Other `string` fields may hold any bytes.
    public let validatesUTF8: Bool
    /// The field's resolved features, from which the flags above were derived.
    public let features: ProtoFeatures
    /// `"jsonName":` as UTF-8, ready to write as an object key (nil when the name needs escaping).
    public let jsonNameKey: [UInt8]?
    /// `"name":` as UTF-8, ready to write as an object key (nil when the name needs escaping).
    public let protoNameKey: [UInt8]?

    init(
        name: String,
        jsonName: String,
        number: Int32,
        type: FieldType,
        isRepeated: Bool,
        isPacked: Bool,
        mapEntry: MessageID?,
        oneofIndex: Int?,
        hasPresence: Bool,
        isProto3Optional: Bool,
        features: ProtoFeatures
    ) {
        self.name = name
        self.jsonName = jsonName
        self.number = number
        self.type = type
        self.isRepeated = isRepeated
        self.isPacked = isPacked
        self.mapEntry = mapEntry
        self.oneofIndex = oneofIndex
        self.hasPresence = hasPresence
        self.isProto3Optional = isProto3Optional
        self.isRequired = features.fieldPresence == .legacyRequired
        self.validatesUTF8 = type == .string && features.utf8Validation == .verify
        self.features = features
        self.jsonNameKey = Self.objectKey(jsonName)
        self.protoNameKey = Self.objectKey(name)
    }

    /// Whether the field is a map.
    public var isMap: Bool { mapEntry != nil }

    /// `"name":` when `name` is printable ASCII without `"` or `\` (so nothing in it needs a JSON
    /// escape); nil otherwise, and the writer escapes it.
    private static func objectKey(_ name: String) -> [UInt8]? {
        guard name.utf8.allSatisfy({ $0 >= 0x20 && $0 < 0x7F && $0 != UInt8(ascii: "\"") && $0 != UInt8(ascii: "\\") })
        else {
            return nil
        }
        return [UInt8(ascii: "\"")] + Array(name.utf8) + [UInt8(ascii: "\""), UInt8(ascii: ":")]
    }

    /// Two fields are equal when they are the same object or agree on every property that shapes
    /// their wire and JSON form.
    public static func == (lhs: FieldDescriptor, rhs: FieldDescriptor) -> Bool {
        lhs === rhs
            || (lhs.name == rhs.name && lhs.jsonName == rhs.jsonName && lhs.number == rhs.number && lhs.type == rhs.type
                && lhs.isRepeated == rhs.isRepeated && lhs.isPacked == rhs.isPacked && lhs.mapEntry == rhs.mapEntry
                && lhs.oneofIndex == rhs.oneofIndex && lhs.hasPresence == rhs.hasPresence
                && lhs.isProto3Optional == rhs.isProto3Optional && lhs.features == rhs.features)
    }

    /// Hashes the properties equality compares first (name, number, type).
    public func hash(into hasher: inout Hasher) {
        hasher.combine(name)
        hasher.combine(number)
        hasher.combine(type)
    }
}
