/// A request or response body that could not be transcoded.
///
/// ``fieldPath`` locates the problem in JSON terms (`nested.items[2].value`, `counts["a"]`),
/// empty for the root. The Gateway maps every code to HTTP 400 for requests (``Code/tooLarge``
/// to 413) and 500 for responses.
public struct TranscodingError: Error, Sendable, CustomStringConvertible {
    /// The kind of failure.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Value: Hashable, Sendable {
            case malformedJSON
            case unknownField
            case invalidValue
            case malformedProtobuf
            case unsupported
            case tooLarge
        }

        private let value: Value
        private init(_ value: Value) { self.value = value }

        /// The body is not syntactically valid JSON (the message has jansson's line and column).
        public static let malformedJSON = Code(.malformedJSON)
        /// A JSON member names no field of the message.
        public static let unknownField = Code(.unknownField)
        /// A JSON value does not fit the field: wrong JSON type, out of range, fractional integer,
        /// unknown enum name, bad base64, two members of one oneof...
        public static let invalidValue = Code(.invalidValue)
        /// Protobuf wire bytes are truncated or otherwise invalid (including invalid UTF-8 in a
        /// `string` field that validates UTF-8, ``ProtoSchema/FieldDescriptor/validatesUTF8``; in
        /// one that does not, such bytes are valid and have no JSON form: ``invalidValue``).
        public static let malformedProtobuf = Code(.malformedProtobuf)
        /// A valid input the codec does not handle (for example a message-typed path binding).
        public static let unsupported = Code(.unsupported)
        /// One value of a streamed body is larger than the configured limit (HTTP 413 for a
        /// request).
        public static let tooLarge = Code(.tooLarge)

        /// A one-line account, for logs and error bodies.
        public var description: String {
            switch value {
            case .malformedJSON: "malformedJSON"
            case .unknownField: "unknownField"
            case .invalidValue: "invalidValue"
            case .malformedProtobuf: "malformedProtobuf"
            case .unsupported: "unsupported"
            case .tooLarge: "tooLarge"
            }
        }
    }

    /// The kind of failure.
    public var code: Code
    /// A human-readable explanation, suitable for an HTTP error body.
    public var message: String
    /// Where in the JSON document the problem is (`items[1].value`); empty for the root.
    public var fieldPath: String
    /// The underlying error, if any.
    public var cause: (any Error)?

    /// Creates an error.
    public init(code: Code, message: String, fieldPath: String = "", cause: (any Error)? = nil) {
        self.code = code
        self.message = message
        self.fieldPath = fieldPath
        self.cause = cause
    }

    /// A one-line account, for logs and error bodies.
    public var description: String {
        fieldPath.isEmpty ? "\(code): \(message)" : "\(code) at \(fieldPath): \(message)"
    }
}

/// One step of a ``TranscodingError/fieldPath``.
enum PathComponent {
    case field(String)
    case index(Int)
    case mapKey(String)
}

extension TranscodingError {
    static func invalid(_ message: String) -> TranscodingError {
        TranscodingError(code: .invalidValue, message: message)
    }

    static func malformed(_ message: String) -> TranscodingError {
        TranscodingError(code: .malformedProtobuf, message: message)
    }

    /// Returns the error with `component` prepended to its path, used while unwinding so the
    /// happy path keeps no path state.
    func prepending(_ component: PathComponent) -> TranscodingError {
        var copy = self
        switch component {
        case .field(let name):
            if fieldPath.isEmpty || fieldPath.hasPrefix("[") {
                copy.fieldPath = name + fieldPath
            } else {
                copy.fieldPath = name + "." + fieldPath
            }
        case .index(let index):
            copy.fieldPath = "[\(index)]" + (fieldPath.isEmpty || fieldPath.hasPrefix("[") ? "" : ".") + fieldPath
        case .mapKey(let key):
            var quoted = ""
            for scalar in key.unicodeScalars {
                if scalar == "\"" || scalar == "\\" { quoted.append("\\") }
                quoted.unicodeScalars.append(scalar)
            }
            copy.fieldPath = "[\"\(quoted)\"]" + (fieldPath.isEmpty || fieldPath.hasPrefix("[") ? "" : ".") + fieldPath
        }
        return copy
    }
}

/// Runs `body`, adding `component` to the path of any error it throws.
@inline(__always)
func withPath<T>(
    _ component: @autoclosure () -> PathComponent,
    _ body: () throws(TranscodingError) -> T
) throws(TranscodingError) -> T {
    do {
        return try body()
    } catch {
        throw error.prepending(component())
    }
}
