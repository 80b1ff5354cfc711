import ProtoSchema
import Transcoding

/// JSON Schemas (OpenAPI 3.1, JSON Schema 2020-12) for the proto3 JSON mapping as Portico writes
/// and reads it: 64-bit integers as strings (`format: int64`) unless `int64AsNumbers`, bytes as
/// base64 (`format: byte`), enums by name unless `enumsAsInts`, maps as `additionalProperties`,
/// the well-known types in their JSON forms, and each message once under
/// `components.schemas`, named by its full name and referenced with `$ref`.
struct OpenAPISchemas {
    /// The descriptors the schemas describe.
    let pool: DescriptorPool
    /// The JSON options of the document (the configuration's `json:`).
    let options: JSONCodecOptions
    /// Messages referenced so far, in first-reference order.
    private(set) var referenced: [MessageID] = []
    private var seen: Set<MessageID> = []

    init(pool: DescriptorPool, options: JSONCodecOptions) {
        self.pool = pool
        self.options = options
    }

    /// The `$ref` of a component.
    static func reference(_ name: String) -> AdminJSON {
        .object([("$ref", .string("#/components/schemas/\(name)"))])
    }

    /// The schema of a field's value: an array for a repeated field, an object for a map.
    mutating func schema(of field: FieldDescriptor) -> AdminJSON {
        if let entry = field.mapEntry {
            let value = pool[entry].fields.first { $0.number == 2 }
            return .object([
                ("type", "object"),
                ("additionalProperties", value.map { schema(of: $0.type) } ?? .object([])),
            ])
        }
        let single = schema(of: field.type)
        return field.isRepeated ? .object([("type", "array"), ("items", single)]) : single
    }

    /// The schema of one value of `type`.
    mutating func schema(of type: FieldType) -> AdminJSON {
        switch type {
        case .int32, .sint32, .sfixed32: return Self.integer(format: "int32")
        case .uint32, .fixed32: return .object([("type", "integer"), ("format", "int64"), ("minimum", .int(0))])
        case .int64, .sint64, .sfixed64, .uint64, .fixed64:
            if options.int64AsNumbers { return Self.integer(format: "int64") }
            // Read as a string or a number; written as a string.
            return .object([("type", "string"), ("format", "int64"), ("pattern", "^-?[0-9]+$")])
        case .float, .double:
            let format: AdminJSON = type == .float ? "float" : "double"
            return .object([
                (
                    "oneOf",
                    .array([
                        .object([("type", "number"), ("format", format)]),
                        .object([("type", "string"), ("enum", .strings(["NaN", "Infinity", "-Infinity"]))]),
                    ])
                )
            ])
        case .bool: return .object([("type", "boolean")])
        case .string: return .object([("type", "string")])
        case .bytes: return .object([("type", "string"), ("format", "byte"), ("contentEncoding", "base64")])
        case .enumeration(let id): return enumeration(id)
        case .message(let id), .group(let id): return message(id)
        }
    }

    /// An enum's schema: its value names (numbers with `enumsAsInts`).
    func enumeration(_ id: EnumID) -> AdminJSON {
        let values = pool[id].values
        if id == pool.enumID(named: "google.protobuf.NullValue") { return .object([("type", "null")]) }
        if options.enumsAsInts {
            return .object([("type", "integer"), ("enum", .array(values.map { .int(Int64($0.number)) }))])
        }
        return .object([("type", "string"), ("enum", .strings(values.map(\.name)))])
    }

    /// A message's schema: a well-known type's JSON form inline, any other message a `$ref`.
    mutating func message(_ id: MessageID) -> AdminJSON {
        let descriptor = pool[id]
        if let known = descriptor.wellKnownType {
            return wellKnown(known, descriptor)
        }
        if seen.insert(id).inserted { referenced.append(id) }
        return Self.reference(descriptor.fullName)
    }

    /// The object schema of a message (for `components.schemas`): its fields by JSON name (or
    /// proto name with `useProtoNames`); a oneof's fields say which oneof they belong to.
    mutating func objectSchema(of id: MessageID) -> AdminJSON {
        let descriptor = pool[id]
        var properties: [(String, AdminJSON)] = []
        for field in descriptor.fields {
            var schema = schema(of: field)
            if let oneof = field.oneofIndex, descriptor.oneofs.indices.contains(oneof), !field.isProto3Optional {
                schema = .object([
                    ("allOf", .array([schema])),
                    ("description", .string("At most one field of oneof \(descriptor.oneofs[oneof]) is set.")),
                ])
            }
            let name = options.useProtoNames ? field.name : field.jsonName
            properties.append((name, documented(schema, "\(descriptor.fullName).\(field.name)")))
        }
        let object: AdminJSON = .object([
            ("type", "object"), ("title", .string(descriptor.fullName)), ("properties", .object(properties)),
        ])
        return documented(object, descriptor.fullName)
    }

    /// `schema` with the element's leading comment as its `description` and `deprecated` when
    /// it is (JSON Schema 2020-12 allows both beside a `$ref`).
    func documented(_ schema: AdminJSON, _ fullName: String) -> AdminJSON {
        guard case .object(var pairs) = schema else { return schema }
        let documentation = pool.documentation
        if let comment = documentation.comment(fullName), !pairs.contains(where: { $0.0 == "description" }) {
            pairs.append(("description", .string(comment)))
        }
        if documentation.deprecated.contains(fullName) { pairs.append(("deprecated", .bool(true))) }
        return .object(pairs)
    }

    /// The JSON forms of the well-known types.
    private mutating func wellKnown(_ type: WellKnownType, _ descriptor: MessageDescriptor) -> AdminJSON {
        switch type {
        case .timestamp:
            return .object([("type", "string"), ("format", "date-time")])
        case .duration:
            return .object([("type", "string"), ("pattern", #"^-?[0-9]+(\.[0-9]{1,9})?s$"#)])
        case .fieldMask:
            return .object([("type", "string"), ("description", "Comma-separated lowerCamelCase field paths.")])
        case .structValue:
            return .object([("type", "object")])
        case .value:
            return .object([])
        case .listValue:
            return .object([("type", "array")])
        case .empty:
            return .object([("type", "object")])
        case .any:
            return .object([
                ("type", "object"),
                ("properties", .object([("@type", .object([("type", "string")]))])),
                ("required", .strings(["@type"])),
            ])
        case .wrapper:
            // The wrapped value itself, or null.
            let value = descriptor.fields.first.map { schema(of: $0.type) } ?? .object([])
            return .object([("oneOf", .array([value, .object([("type", "null")])]))])
        }
    }

    private static func integer(format: String) -> AdminJSON {
        .object([("type", "integer"), ("format", .string(format))])
    }
}
