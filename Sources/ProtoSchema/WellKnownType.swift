/// The `google.protobuf` message types whose proto3 JSON form is not a plain object of fields.
public enum WellKnownType: Sendable, Hashable {
    /// `google.protobuf.Any`: `{"@type": url, ...}`.
    case any
    /// `google.protobuf.Timestamp`: an RFC 3339 string.
    case timestamp
    /// `google.protobuf.Duration`: `"1.5s"`.
    case duration
    /// `google.protobuf.FieldMask`: comma-separated lowerCamelCase paths.
    case fieldMask
    /// `google.protobuf.Struct`: a JSON object.
    case structValue
    /// `google.protobuf.Value`: any JSON value.
    case value
    /// `google.protobuf.ListValue`: a JSON array.
    case listValue
    /// `google.protobuf.Empty`: `{}` (special only inside `Any`, as `"value": {}`).
    case empty
    /// One of the wrappers (`Int32Value`, `StringValue`, ...): the bare wrapped value.
    case wrapper

    /// The well-known type named `fullName`, if it is one.
    public init?(fullName: String) {
        guard fullName.hasPrefix("google.protobuf.") else { return nil }
        switch fullName.dropFirst("google.protobuf.".count) {
        case "Any": self = .any
        case "Timestamp": self = .timestamp
        case "Duration": self = .duration
        case "FieldMask": self = .fieldMask
        case "Struct": self = .structValue
        case "Value": self = .value
        case "ListValue": self = .listValue
        case "Empty": self = .empty
        case "DoubleValue", "FloatValue", "Int64Value", "UInt64Value", "Int32Value", "UInt32Value", "BoolValue",
            "StringValue", "BytesValue":
            self = .wrapper
        default: return nil
        }
    }
}
