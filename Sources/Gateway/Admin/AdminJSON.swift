public import NIOCore
import Transcoding

/// A JSON value the admin endpoints answer with, written by Portico's own ``JSONWriter`` (no
/// Foundation JSON). Objects keep their keys in the order given, so answers read the same every
/// time.
///
/// ```swift
/// let body: AdminJSON = .object([("status", "SERVING")])
/// var buffer = ByteBuffer()
/// body.write(into: &buffer)   // {"status":"SERVING"}
/// ```
public indirect enum AdminJSON: Sendable, ExpressibleByStringLiteral {
    /// A string.
    case string(String)
    /// An integer.
    case int(Int64)
    /// A floating-point number.
    case double(Double)
    /// `true` or `false`.
    case bool(Bool)
    /// `null`.
    case null
    /// An array.
    case array([AdminJSON])
    /// An object, keys in order.
    case object([(String, AdminJSON)])

    /// A string literal is a JSON string.
    public init(stringLiteral value: String) {
        self = .string(value)
    }

    /// An integer.
    public static func int(_ value: Int) -> AdminJSON {
        .int(Int64(value))
    }

    /// A string, or `null` for nil.
    public static func optional(_ value: String?) -> AdminJSON {
        value.map(AdminJSON.string) ?? .null
    }

    /// An array of strings.
    public static func strings(_ values: some Sequence<String>) -> AdminJSON {
        .array(values.map(AdminJSON.string))
    }

    /// Writes the value as compact JSON.
    public func write(into out: inout ByteBuffer) {
        switch self {
        case .string(let text): JSONWriter.writeString(text, into: &out)
        case .int(let value): JSONWriter.writeNumber(value, into: &out)
        case .double(let value): JSONWriter.writeNumber(value, into: &out)
        case .bool(let value): JSONWriter.writeBool(value, into: &out)
        case .null: JSONWriter.writeNull(into: &out)
        case .array(let items):
            out.writeStaticString("[")
            for (i, item) in items.enumerated() {
                if i > 0 { out.writeStaticString(",") }
                item.write(into: &out)
            }
            out.writeStaticString("]")
        case .object(let members):
            out.writeStaticString("{")
            for (i, (key, value)) in members.enumerated() {
                if i > 0 { out.writeStaticString(",") }
                JSONWriter.writeString(key, into: &out)
                out.writeStaticString(":")
                value.write(into: &out)
            }
            out.writeStaticString("}")
        }
    }

    /// The value as JSON text.
    public var text: String {
        var buffer = ByteBuffer()
        write(into: &buffer)
        return String(buffer: buffer)
    }
}
