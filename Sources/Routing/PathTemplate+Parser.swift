import TextCoding

/// The path template grammar of `google.api.HttpRule`:
///
/// ```
/// Template = "/" [ Segments [ Verb ] ] ;
/// Segments = Segment { "/" Segment } ;
/// Segment  = "*" | "**" | LITERAL | Variable ;
/// Variable = "{" FieldPath [ "=" Segments ] "}" ;
/// FieldPath = IDENT { "." IDENT } ;
/// Verb     = ":" LITERAL ;
/// ```
///
/// LITERAL is one or more RFC 3986 `pchar`s (unreserved, sub-delims, `:`, `@`, `%XX`). A `:` is
/// the verb separator when no `/` follows it; before a later `/` it is part of a literal, as in
/// grpc-gateway. `**` must be the last segment (only the verb may follow), and variables do not
/// nest. Every error carries the 1-based column of the offending character.
extension PathTemplate {
    /// Parses a path template.
    /// - Parameter template: the template text, such as `/v1/{name=shelves/*}/books`.
    /// - Throws: ``RouteConfigError`` with code `invalidTemplate` and the column of the problem.
    public init(parsing template: String) throws(RouteConfigError) {
        var parser = PathTemplateParser(Array(template.utf8))
        self = try parser.parse()
    }
}

private let slash = UInt8(ascii: "/")
private let colon = UInt8(ascii: ":")
private let star = UInt8(ascii: "*")
private let openBrace = UInt8(ascii: "{")
private let closeBrace = UInt8(ascii: "}")
private let equals = UInt8(ascii: "=")
private let dot = UInt8(ascii: ".")
private let percent = UInt8(ascii: "%")

private struct PathTemplateParser {
    private let bytes: [UInt8]
    private var position = 0
    private var segments: [PathTemplate.Segment] = []
    private var segmentColumns: [Int] = []
    private var variables: [PathTemplate.Variable] = []

    init(_ bytes: [UInt8]) {
        self.bytes = bytes
    }

    mutating func parse() throws(RouteConfigError) -> PathTemplate {
        guard peek == slash else {
            throw error(bytes.isEmpty ? "template is empty; it must start with '/'" : "template must start with '/'")
        }
        position += 1
        if position == bytes.count {
            return PathTemplate(segments: [], variables: [], verb: nil)
        }
        try parseSegments(inVariable: false)
        var verb: String?
        if peek == colon {
            position += 1
            let start = position
            try skipLiteral(stopAtColon: true)
            guard position > start else { throw error("custom verb after ':' is empty") }
            verb = String(decoding: bytes[start..<position], as: UTF8.self)
        }
        if let byte = peek {
            throw error("unexpected '\(Character(Unicode.Scalar(byte)))'")
        }
        for (index, segment) in segments.enumerated() where segment == .deepWildcard && index != segments.count - 1 {
            throw RouteConfigError(
                code: .invalidTemplate,
                message: "'**' must be the last segment of the template (only a custom verb may follow)",
                column: segmentColumns[index]
            )
        }
        return PathTemplate(segments: segments, variables: variables, verb: verb)
    }

    private var peek: UInt8? { position < bytes.count ? bytes[position] : nil }

    private func error(_ message: String) -> RouteConfigError {
        RouteConfigError(code: .invalidTemplate, message: message, column: position + 1)
    }

    private mutating func parseSegments(inVariable: Bool) throws(RouteConfigError) {
        try parseSegment(inVariable: inVariable)
        while peek == slash {
            position += 1
            try parseSegment(inVariable: inVariable)
        }
    }

    private mutating func parseSegment(inVariable: Bool) throws(RouteConfigError) {
        let column = position + 1
        switch peek {
        case star:
            position += 1
            if peek == star {
                position += 1
                segments.append(.deepWildcard)
            } else {
                segments.append(.wildcard)
            }
            segmentColumns.append(column)
            try expectSegmentEnd("'*' and '**' must be a whole segment")
        case openBrace:
            guard !inVariable else { throw error("variables cannot be nested") }
            try parseVariable()
        case nil, slash:
            throw error("empty path segment (a trailing '/' or '//')")
        case colon, closeBrace:
            throw error("empty path segment")
        default:
            let start = position
            try skipLiteral(stopAtColon: inVariable || !slashFollows(position))
            guard position > start else {
                throw error("unexpected '\(Character(Unicode.Scalar(bytes[position])))'")
            }
            segments.append(.literal(String(decoding: bytes[start..<position], as: UTF8.self)))
            segmentColumns.append(column)
            try expectSegmentEnd("a variable must be a whole segment")
        }
    }

    /// Checks that a segment ends here; `message` explains a literal character glued to it.
    private func expectSegmentEnd(_ message: String) throws(RouteConfigError) {
        switch peek {
        case nil, slash, colon, closeBrace: return
        case openBrace: throw error("a variable must be a whole segment")
        case let byte?:
            if byte.isLiteralCharacter || byte == percent { throw error(message) }
            throw error("invalid character '\(Character(Unicode.Scalar(byte)))' in path template")
        }
    }

    private func slashFollows(_ index: Int) -> Bool {
        bytes[index...].contains(slash)
    }

    /// Skips pchars; a ':' ends the literal when `stopAtColon` (it starts the verb).
    private mutating func skipLiteral(stopAtColon: Bool) throws(RouteConfigError) {
        while let byte = peek {
            if byte == percent {
                guard position + 2 < bytes.count, PercentEncoding.isHexDigit(bytes[position + 1]),
                    PercentEncoding.isHexDigit(bytes[position + 2])
                else {
                    throw error("'%' must be followed by two hex digits")
                }
                position += 3
                continue
            }
            if byte == colon {
                if stopAtColon { return }
                position += 1
                continue
            }
            guard byte.isLiteralCharacter else { return }
            position += 1
        }
    }

    private mutating func parseVariable() throws(RouteConfigError) {
        let braceColumn = position + 1
        position += 1  // '{'
        var fieldPath: [String] = []
        repeat {
            if !fieldPath.isEmpty { position += 1 }  // '.'
            let start = position
            guard let first = peek, first.isIdentifierStart else {
                throw error("expected a field name")
            }
            while let byte = peek, byte.isIdentifierContinuation { position += 1 }
            fieldPath.append(String(decoding: bytes[start..<position], as: UTF8.self))
        } while peek == dot
        let start = segments.count
        if peek == equals {
            position += 1
            try parseSegments(inVariable: true)
        } else {
            segments.append(.wildcard)
            segmentColumns.append(braceColumn)
        }
        guard peek == closeBrace else {
            throw error(peek == nil ? "unterminated variable: expected '}'" : "expected '}' to close the variable")
        }
        position += 1
        variables.append(
            PathTemplate.Variable(
                fieldPath: fieldPath,
                range: start..<segments.count,
                endsWithDeepWildcard: segments.last == .deepWildcard
            )
        )
        try expectSegmentEnd("a variable must be a whole segment")
    }
}

extension UInt8 {
    fileprivate var isIdentifierStart: Bool {
        (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(self)
            || (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(self)
            || self == UInt8(ascii: "_")
    }

    fileprivate var isIdentifierContinuation: Bool {
        isIdentifierStart || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(self)
    }

    /// pchar without ':' and '%XX': unreserved, sub-delims and '@'.
    fileprivate var isLiteralCharacter: Bool {
        if PercentEncoding.isUnreserved(self) { return true }
        switch self {
        case UInt8(ascii: "!"), UInt8(ascii: "$"), UInt8(ascii: "&"), UInt8(ascii: "'"), UInt8(ascii: "("),
            UInt8(ascii: ")"), UInt8(ascii: "*"), UInt8(ascii: "+"), UInt8(ascii: ","), UInt8(ascii: ";"),
            UInt8(ascii: "="), UInt8(ascii: "@"):
            return true
        default:
            return false
        }
    }
}
