import ProtoSchema

/// A scalar parsed from JSON or text, ready to be written after its tag.
enum WireScalar {
    case varint(UInt64)
    case fixed32(UInt32)
    case fixed64(UInt64)
    /// UTF-8 text written as-is (borrowed from the jansson document or the binding string).
    case text(UnsafeRawBufferPointer)
    /// Base64 text decoded while writing.
    case base64(UnsafeRawBufferPointer)

    /// Writes the value (without tag).
    /// - Throws: ``TranscodingError/Code/invalidValue`` for bad base64.
    func write<Output: WireOutput>(into out: inout Output) throws(TranscodingError) {
        switch self {
        case .varint(let v): out.writeVarint(v)
        case .fixed32(let v): out.writeFixed32(v)
        case .fixed64(let v): out.writeFixed64(v)
        case .text(let bytes):
            out.writeVarint(UInt64(bytes.count))
            out.writeBytes(bytes)
        case .base64(let text):
            guard out.writeBase64Decoded(text) else { throw .invalid("invalid base64 value") }
        }
    }
}

/// Turns JSON values and text into ``WireScalar``s by field type, applying the proto3 JSON
/// acceptance rules (quoted numbers, integral exponent forms, range checks, enum names).
struct ScalarParser {
    let pool: DescriptorPool
    let ignoreUnknownEnumNames: Bool
    /// Whether integer text may have leading zeros (`007`, `-007`: decimal, never octal), as
    /// grpc-gateway and Envoy read path and query values; JSON text keeps the JSON grammar.
    var allowsLeadingZeros = false

    /// Parses a JSON value (not null) as a scalar of `type`.
    /// - Returns: nil when the value is an unknown enum name being ignored.
    func parse(_ value: JSONValue, as type: FieldType) throws(TranscodingError) -> WireScalar? {
        try parse(value.scalar, as: type)
    }

    /// Parses a JSON value (not null) as a scalar of `type`.
    /// - Returns: nil when the value is an unknown enum name being ignored.
    func parse(_ value: JSONScalar, as type: FieldType) throws(TranscodingError) -> WireScalar? {
        switch type {
        case .double, .float:
            let double: Double
            switch value {
            case .integer(let integer): double = Double(integer)
            case .real(let real): double = real
            case .bigInteger(let text): double = ScalarText.double(text) ?? .nan
            case .string(let text):
                guard let parsed = ScalarText.double(text) else {
                    throw .invalid("invalid number \"\(String(decoding: text, as: UTF8.self))\"")
                }
                double = parsed
            default: throw .invalid("expected a number, got \(value.kindName)")
            }
            return try floating(double, as: type)
        case .bool:
            switch value {
            case .true: return .varint(1)
            case .false: return .varint(0)
            default: throw .invalid("expected true or false, got \(value.kindName)")
            }
        case .string:
            guard case .string(let text) = value else { throw .invalid("expected a string, got \(value.kindName)") }
            return .text(text)
        case .bytes:
            guard case .string(let text) = value else {
                throw .invalid("expected a base64 string, got \(value.kindName)")
            }
            return .base64(text)
        case .enumeration(let id):
            switch value {
            case .string(let text): return try enumeration(text, id)
            case .integer(let integer): return try enumNumber(Int128(integer), id)
            case .bigInteger(let text):
                throw .invalid("enum value \(String(decoding: text, as: UTF8.self)) is out of range")
            case .real(let real):
                guard let integral = ScalarText.integral(real) else {
                    throw .invalid("enum value \(real) is not an integer")
                }
                return try enumNumber(integral, id)
            default: throw .invalid("expected an enum name or number, got \(value.kindName)")
            }
        case .message, .group:
            throw .invalid("expected an object, got \(value.kindName)")
        default:
            let integer: Int128
            switch value {
            case .integer(let exact): integer = Int128(exact)
            case .bigInteger(let text):
                guard let parsed = ScalarText.integer(text) else {
                    throw .invalid("\(String(decoding: text, as: UTF8.self)) is out of range")
                }
                integer = parsed
            case .real(let real):
                guard let integral = ScalarText.integral(real) else {
                    throw .invalid("\(real) is not an integer")
                }
                integer = integral
            case .string(let text):
                guard let parsed = ScalarText.integer(text) else {
                    throw .invalid("invalid integer \"\(String(decoding: text, as: UTF8.self))\"")
                }
                integer = parsed
            default: throw .invalid("expected an integer, got \(value.kindName)")
            }
            return try self.integer(integer, as: type)
        }
    }

    /// Parses the proto3 JSON string form of a scalar (path and query values, map keys).
    /// - Returns: nil when the value is an unknown enum name being ignored.
    func parse(text: UnsafeRawBufferPointer, as type: FieldType) throws(TranscodingError) -> WireScalar? {
        switch type {
        case .double, .float:
            guard let double = ScalarText.double(text) else {
                throw .invalid("invalid number \"\(String(decoding: text, as: UTF8.self))\"")
            }
            return try floating(double, as: type)
        case .bool:
            guard let bool = ScalarText.bool(text) else {
                throw .invalid("expected true or false, got \"\(String(decoding: text, as: UTF8.self))\"")
            }
            return .varint(bool ? 1 : 0)
        case .string: return .text(text)
        case .bytes: return .base64(text)
        case .enumeration(let id): return try enumeration(text, id)
        case .message, .group:
            throw TranscodingError(code: .unsupported, message: "a message field cannot take a text value")
        default:
            guard let integer = ScalarText.integer(text, allowingLeadingZeros: allowsLeadingZeros) else {
                throw .invalid("invalid integer \"\(String(decoding: text, as: UTF8.self))\"")
            }
            return try self.integer(integer, as: type)
        }
    }

    private func floating(_ double: Double, as type: FieldType) throws(TranscodingError) -> WireScalar {
        if type == .float {
            let float = Float(double)
            guard float.isFinite || !double.isFinite else { throw .invalid("\(double) is out of range for float") }
            return .fixed32(float.bitPattern)
        }
        return .fixed64(double.bitPattern)
    }

    private func integer(_ value: Int128, as type: FieldType) throws(TranscodingError) -> WireScalar {
        func check(_ range: ClosedRange<Int128>, _ name: String) throws(TranscodingError) {
            guard range.contains(value) else { throw .invalid("\(value) is out of range for \(name)") }
        }
        let int32 = Int128(Int32.min)...Int128(Int32.max)
        let int64 = Int128(Int64.min)...Int128(Int64.max)
        let uint32 = Int128(0)...Int128(UInt32.max)
        let uint64 = Int128(0)...Int128(UInt64.max)
        switch type {
        case .int32:
            try check(int32, "int32")
            return .varint(UInt64(bitPattern: Int64(value)))
        case .sint32:
            try check(int32, "sint32")
            return .varint(ZigZag.encode32(Int32(value)))
        case .sfixed32:
            try check(int32, "sfixed32")
            return .fixed32(UInt32(bitPattern: Int32(value)))
        case .uint32:
            try check(uint32, "uint32")
            return .varint(UInt64(value))
        case .fixed32:
            try check(uint32, "fixed32")
            return .fixed32(UInt32(value))
        case .int64:
            try check(int64, "int64")
            return .varint(UInt64(bitPattern: Int64(value)))
        case .sint64:
            try check(int64, "sint64")
            return .varint(ZigZag.encode64(Int64(value)))
        case .sfixed64:
            try check(int64, "sfixed64")
            return .fixed64(UInt64(bitPattern: Int64(value)))
        case .uint64:
            try check(uint64, "uint64")
            return .varint(UInt64(value))
        default:
            try check(uint64, "fixed64")
            return .fixed64(UInt64(value))
        }
    }

    private func enumeration(_ text: UnsafeRawBufferPointer, _ id: EnumID) throws(TranscodingError) -> WireScalar? {
        let descriptor = pool[id]
        if let number = descriptor.numberByNameBytes.value(for: text) {
            return .varint(UInt64(bitPattern: Int64(number)))
        }
        // Names compare as Strings, by canonical equivalence (`K` U+212A is `K`), which only
        // text beyond ASCII can need.
        if !text.allSatisfy({ $0 < 0x80 }), let number = descriptor.number(named: String(decoding: text, as: UTF8.self))
        {
            return .varint(UInt64(bitPattern: Int64(number)))
        }
        // Enum names never start with a digit or '-', so numeric text is unambiguous.
        if let number = ScalarText.integer(text, allowingLeadingZeros: allowsLeadingZeros) {
            return try enumNumber(number, id)
        }
        if ignoreUnknownEnumNames { return nil }
        throw .invalid("unknown value \"\(String(decoding: text, as: UTF8.self))\" for enum \(descriptor.fullName)")
    }

    private func enumNumber(_ value: Int128, _ id: EnumID) throws(TranscodingError) -> WireScalar? {
        let descriptor = pool[id]
        guard let number = Int32(exactly: value) else {
            throw .invalid("\(value) is out of range for enum \(descriptor.fullName)")
        }
        if descriptor.isClosed && descriptor.name(number: number) == nil {
            if ignoreUnknownEnumNames { return nil }
            throw .invalid("\(number) is not a value of closed enum \(descriptor.fullName)")
        }
        return .varint(UInt64(bitPattern: Int64(number)))
    }
}
