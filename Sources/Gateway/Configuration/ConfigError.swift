/// One problem in `Gateway.yaml`, located by its YAML path (`backends.demo.endpoints[0]`).
public struct ConfigProblem: Sendable, Hashable, CustomStringConvertible {
    /// The YAML path of the offending key or value; empty for the document itself.
    public var path: String
    /// What is wrong, in one sentence.
    public var message: String
    /// `line:column` in the file, when known.
    public var location: String?

    /// Creates a problem.
    public init(path: String, message: String, location: String? = nil) {
        self.path = path
        self.message = message
        self.location = location
    }

    /// A one-line account, for logs and error bodies.
    public var description: String {
        let at = path.isEmpty ? "(document)" : path
        if let location { return "\(at) (line \(location)): \(message)" }
        return "\(at): \(message)"
    }
}

/// A configuration could not be turned into a running gateway: every problem found, at once.
public struct ConfigError: Error, Sendable, CustomStringConvertible {
    /// The kind of failure.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Wrapped: Hashable, Sendable { case unreadable, invalid }
        private let wrapped: Wrapped
        private init(_ wrapped: Wrapped) { self.wrapped = wrapped }
        /// The file could not be read or is not YAML.
        public static let unreadable = Code(.unreadable)
        /// The file was read but has problems (see ``ConfigError/problems``).
        public static let invalid = Code(.invalid)
        /// A one-line account, for logs and error bodies.
        public var description: String { String(describing: wrapped) }
    }

    /// The kind of failure.
    public var code: Code
    /// A summary sentence.
    public var message: String
    /// Every problem found, in file order.
    public var problems: [ConfigProblem]
    /// The underlying error, if any.
    public var cause: (any Error)?

    /// Creates an error.
    public init(code: Code, message: String, problems: [ConfigProblem] = [], cause: (any Error)? = nil) {
        self.code = code
        self.message = message
        self.problems = problems
        self.cause = cause
    }

    /// The configuration was read but has `problems`.
    static func invalid(_ problems: [ConfigProblem]) -> ConfigError {
        ConfigError(code: .invalid, message: "the configuration has problems", problems: problems)
    }

    /// This error with a message naming the file it is about (`gw.yaml has problems`).
    /// - Parameter path: The configuration file.
    public func titled(_ path: String) -> ConfigError {
        var titled = self
        switch code {
        case .invalid: titled.message = "\(path) has problems"
        default:
            let generic = "the configuration"
            if message.hasPrefix(generic) { titled.message = path + message.dropFirst(generic.count) }
        }
        return titled
    }

    /// A one-line account, for logs and error bodies.
    public var description: String {
        var lines = [message]
        lines += problems.map { "  - \($0)" }
        if let cause { lines.append("  cause: \(cause)") }
        return lines.joined(separator: "\n")
    }
}
