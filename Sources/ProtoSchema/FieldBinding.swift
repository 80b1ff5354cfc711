/// A value for a request field that comes from the URL rather than the JSON body: a path
/// variable (`/v1/users/{id}`) or a query parameter (`?page.size=2`).
///
/// ``Routing`` produces bindings with the field path already resolved against the request
/// message; ``Transcoding`` parses ``value`` as the leaf field's type and merges it into the
/// request message.
public struct FieldBinding: Hashable, Sendable {
    /// The fields from the request message down to the bound field; every field but the last is
    /// a singular message field.
    public var fieldPath: [FieldDescriptor]
    /// The decoded text value (percent-decoding already applied per the HttpRule rules).
    public var value: String
    /// For a map field set from the query (`?labels[env]=prod`), the entry's key (`env`); the
    /// value is then the entry's value.
    public var mapKey: String?

    /// Creates a binding.
    public init(fieldPath: [FieldDescriptor], value: String, mapKey: String? = nil) {
        self.fieldPath = fieldPath
        self.value = value
        self.mapKey = mapKey
    }

    /// The dotted proto-name path (`page.size`, `labels[env]`), for error messages.
    public var dottedPath: String {
        let path = fieldPath.map(\.name).joined(separator: ".")
        return mapKey.map { "\(path)[\($0)]" } ?? path
    }
}
