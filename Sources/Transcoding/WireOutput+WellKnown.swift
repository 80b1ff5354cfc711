import ProtoSchema

/// The wire forms of well-known types that both JSON paths write the same way: the tree walk
/// (`RequestTranscoder+WellKnown.swift`) and the streaming encoder
/// (`StreamingJSONEncoder+Values.swift`).
extension WireOutput {
    /// Writes a `Timestamp`'s or a `Duration`'s fields, `seconds` (1) and `nanos` (2), each left
    /// off the wire when zero.
    mutating func writeSecondsAndNanos(_ seconds: Int64, _ nanos: Int32) {
        if seconds != 0 {
            writeTag(1, .varint)
            writeVarint(UInt64(bitPattern: seconds))
        }
        if nanos != 0 {
            writeTag(2, .varint)
            writeVarint(UInt64(bitPattern: Int64(nanos)))
        }
    }

    /// Writes a JSON scalar as the `google.protobuf.Value` member of its kind: `null_value` (1),
    /// `number_value` (2), `string_value` (3) or `bool_value` (4).
    /// - Returns: false (nothing written) for an object or an array, whose members
    ///   (`struct_value`, `list_value`) the caller writes by walking them.
    mutating func writeValueScalar(_ value: JSONScalar) -> Bool {
        switch value {
        case .null:
            writeTag(1, .varint)
            writeVarint(0)
        case .integer(let integer):
            writeTag(2, .fixed64)
            writeFixed64(Double(integer).bitPattern)
        case .real(let real):
            writeTag(2, .fixed64)
            writeFixed64(real.bitPattern)
        case .bigInteger(let text):
            writeTag(2, .fixed64)
            writeFixed64((ScalarText.double(text) ?? .nan).bitPattern)
        case .string(let text):
            writeTag(3, .lengthDelimited)
            writeVarint(UInt64(text.count))
            writeBytes(text)
        case .true:
            writeTag(4, .varint)
            writeVarint(1)
        case .false:
            writeTag(4, .varint)
            writeVarint(0)
        case .object, .array:
            return false
        }
        return true
    }
}
