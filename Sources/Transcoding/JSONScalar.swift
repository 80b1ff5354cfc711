/// One JSON value as the scalar rules see it, whichever parser produced it: jansson's tree
/// (``JSONValue/scalar``) or the streaming decoder (``JSONScanner``). Objects and arrays carry
/// no content here: a scalar field given one is an error that only needs the kind's name.
enum JSONScalar {
    /// A bare integer within `Int64`.
    case integer(Int64)
    /// A bare number with a fraction or exponent.
    case real(Double)
    /// A bare integer literal outside `Int64`: its text (`18446744073709551615`).
    case bigInteger(UnsafeRawBufferPointer)
    /// A string's UTF-8 bytes (escapes decoded; may contain NUL).
    case string(UnsafeRawBufferPointer)
    case `true`, `false`, null, object, array

    /// The name used in error messages.
    var kindName: String {
        switch self {
        case .object: "object"
        case .array: "array"
        case .string: "string"
        case .integer, .real, .bigInteger: "number"
        case .true, .false: "boolean"
        case .null: "null"
        }
    }
}

extension JSONValue {
    /// The value as the scalar rules see it.
    var scalar: JSONScalar {
        switch kind {
        case .object: .object
        case .array: .array
        case .string: .string(stringBytes)
        case .integer: .integer(integer)
        case .real: .real(real)
        case .true: .true
        case .false: .false
        case .null: .null
        case .bigInteger: .bigInteger(bigIntegerText)
        }
    }

    /// The name of the value's kind in error messages (``JSONScalar/kindName``).
    var kindName: String { scalar.kindName }
}
