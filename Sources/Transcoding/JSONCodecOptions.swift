/// Options of the proto3 JSON mapping, shared by ``RequestTranscoder`` and ``ResponseTranscoder``.
///
/// The defaults follow the proto3 JSON specification strictly: lowerCamelCase names out,
/// unpopulated fields omitted, enums by name, unknown JSON fields rejected.
public struct JSONCodecOptions: Sendable, Hashable {
    /// Write fields without presence that hold their default value (`0`, `""`, `false`, `[]`,
    /// `{}`, the zero enum value). Fields with presence (messages, oneof members, proto3
    /// `optional`, proto2 scalars) are still written only when set, as the specification says.
    public var emitUnpopulated: Bool
    /// Write the `.proto` field names (`user_id`) instead of the JSON names (`userId`).
    /// Input always accepts both.
    public var useProtoNames: Bool
    /// Write enum values as numbers instead of names.
    public var enumsAsInts: Bool
    /// Skip unknown JSON fields (and unknown enum value names) instead of failing.
    public var ignoreUnknownFields: Bool
    /// Write 64-bit integers as bare JSON numbers instead of strings (map keys stay strings).
    /// Off by default: JavaScript and other double-based readers lose precision above 2^53.
    public var int64AsNumbers: Bool

    /// Creates options; every switch defaults to off.
    public init(
        emitUnpopulated: Bool = false,
        useProtoNames: Bool = false,
        enumsAsInts: Bool = false,
        ignoreUnknownFields: Bool = false,
        int64AsNumbers: Bool = false
    ) {
        self.emitUnpopulated = emitUnpopulated
        self.useProtoNames = useProtoNames
        self.enumsAsInts = enumsAsInts
        self.ignoreUnknownFields = ignoreUnknownFields
        self.int64AsNumbers = int64AsNumbers
    }
}
