import ProtoSchema

/// Resolves dotted field paths (`page.size`, proto or JSON name per segment) and says precisely
/// why one does not resolve; shared by build-time validation and query parsing.
struct FieldPathResolver {
    /// Why a path did not resolve.
    enum Problem: Error {
        /// `segment` names no field of `message`.
        case unknownField(segment: String, message: String)
        /// `field` is followed by more segments but is not a singular message field.
        case notTraversable(field: FieldDescriptor, reason: String)
    }

    let pool: DescriptorPool

    /// Resolves `path` from `message`.
    func resolve(_ path: some StringProtocol, from message: MessageID) -> Result<[FieldDescriptor], Problem> {
        var current = message
        var fields: [FieldDescriptor] = []
        var remaining = path[...]
        while true {
            let end = remaining.firstIndex(of: ".") ?? remaining.endIndex
            let name = String(remaining[..<end])
            guard let field = pool[current].field(named: name) else {
                return .failure(.unknownField(segment: name, message: pool[current].fullName))
            }
            fields.append(field)
            guard end != remaining.endIndex else { return .success(fields) }
            if field.isMap {
                return .failure(.notTraversable(field: field, reason: "is a map"))
            }
            if field.isRepeated {
                return .failure(.notTraversable(field: field, reason: "is repeated"))
            }
            guard case .message(let next) = field.type else {
                return .failure(.notTraversable(field: field, reason: "is not a message"))
            }
            current = next
            remaining = remaining[remaining.index(after: end)...]
        }
    }

    /// A sentence for a problem, naming the path.
    static func describe(_ problem: Problem, path: String) -> String {
        switch problem {
        case .unknownField(let segment, let message):
            return "'\(path)': no field '\(segment)' in \(message)"
        case .notTraversable(let field, let reason):
            return "'\(path)': field '\(field.name)' \(reason), so nothing inside it can be addressed"
        }
    }

    /// The message types whose proto3 JSON form is a single string or scalar, so that a query
    /// parameter can set them (`?start_time=2024-01-01T00:00:00Z`).
    static let scalarLikeWellKnownTypes: Set<String> = [
        "google.protobuf.Timestamp", "google.protobuf.Duration", "google.protobuf.FieldMask",
        "google.protobuf.DoubleValue", "google.protobuf.FloatValue", "google.protobuf.Int64Value",
        "google.protobuf.UInt64Value", "google.protobuf.Int32Value", "google.protobuf.UInt32Value",
        "google.protobuf.BoolValue", "google.protobuf.StringValue", "google.protobuf.BytesValue",
    ]

    /// A short name of a field's kind for messages: `repeated string`, `map`, `message demo.X`.
    func kindDescription(of field: FieldDescriptor) -> String {
        if field.isMap { return "map" }
        let base: String
        switch field.type {
        case .message(let id), .group(let id): base = "message \(pool[id].fullName)"
        case .enumeration(let id): base = "enum \(pool[id].fullName)"
        default: base = String(describing: field.type)
        }
        return field.isRepeated ? "repeated \(base)" : base
    }
}
