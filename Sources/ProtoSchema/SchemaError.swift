/// A problem found while building a ``DescriptorPool`` from descriptor sets.
///
/// Descriptor sets are user input (files named in `Gateway.yaml`), so every problem names the
/// file and the fully qualified type it was found in.
public struct SchemaError: Error, Sendable, CustomStringConvertible {
    /// The kind of schema problem.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Wrapped: Hashable, Sendable {
            case malformedDescriptorSet
            case duplicateName
            case unresolvedType
            case invalidDefinition
            case invalidHttpRule
            case unsupportedEdition
        }

        private let wrapped: Wrapped
        private init(_ wrapped: Wrapped) { self.wrapped = wrapped }

        /// The bytes are not a serialized `google.protobuf.FileDescriptorSet`.
        public static let malformedDescriptorSet = Code(.malformedDescriptorSet)
        /// Two definitions share one fully qualified name.
        public static let duplicateName = Code(.duplicateName)
        /// A field or method names a type that no file defines.
        public static let unresolvedType = Code(.unresolvedType)
        /// A definition breaks a rule of the protobuf language (for example a map entry without key).
        public static let invalidDefinition = Code(.invalidDefinition)
        /// A `google.api.http` option could not be decoded.
        public static let invalidHttpRule = Code(.invalidHttpRule)
        /// A file's syntax or edition is one whose feature defaults Portico does not know (it
        /// reads proto2, proto3, and the Editions 2023 and 2024).
        public static let unsupportedEdition = Code(.unsupportedEdition)

        /// A one-line account, for logs and error bodies.
        public var description: String { String(describing: wrapped) }
    }

    /// What kind of problem this is.
    public var code: Code
    /// A human-readable sentence naming the file and type.
    public var message: String
    /// The underlying error, if any (for example the protobuf decoding error).
    public var cause: (any Error)?

    /// Creates a schema error.
    public init(code: Code, message: String, cause: (any Error)? = nil) {
        self.code = code
        self.message = message
        self.cause = cause
    }

    /// A one-line account, for logs and error bodies.
    public var description: String {
        if let cause { return "\(message) (\(cause))" }
        return message
    }
}
