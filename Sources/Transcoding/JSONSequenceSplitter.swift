public import NIOCore

/// Cuts a streamed request body into its top-level JSON values as the bytes arrive, so each
/// message of a client-streaming or bidi call can go upstream as soon as it is complete.
///
/// The body is a sequence of JSON values separated by JSON whitespace or by nothing at all
/// (NDJSON, `{"a":1}{"b":2}`), or — when its first non-whitespace byte is `[` — one JSON array
/// whose elements are the values (`[]` is zero values; only whitespace may follow the `]`).
/// Scalars are values too; a bare number or literal ends at the first byte that cannot belong to
/// it (whitespace, `,`, `]`, a bracket, a quote) or at the end of the body.
///
/// This is a byte scanner, not a parser: it tracks strings, escapes and bracket nesting to find
/// boundaries and rejects structural garbage (mismatched brackets, stray commas or bytes between
/// values); each value is later parsed by jansson. Values that lie within one chunk are returned
/// as slices of that chunk; a value spread over several chunks is gathered into its own buffer,
/// never larger than `maxValueBytes`.
///
/// ```swift
/// var splitter = JSONSequenceSplitter(maxValueBytes: 4 << 20)
/// for chunk in body {
///     for value in try splitter.append(chunk) { try send(value) }
/// }
/// for value in try splitter.finish() { try send(value) }
/// ```
public struct JSONSequenceSplitter: Sendable {
    /// Where the scanner is.
    private enum Phase {
        /// No non-whitespace byte yet: a `[` here selects the array form.
        case start
        /// Between values of the sequence form.
        case sequenceGap
        /// After the opening `[`: an element or `]`.
        case arrayFirst
        /// After a `,` of the array form: an element.
        case arrayElement
        /// After an element of the array form: `,` or `]`.
        case arrayAfterElement
        /// After the closing `]`: only whitespace.
        case arrayClosed
        /// Inside an object or array value (nesting in ``closers``).
        case container
        /// Inside a top-level string value.
        case string
        /// Inside a bare number or literal.
        case bare
        /// An error was thrown, or ``finish()`` was called.
        case done
    }

    /// The largest value, in bytes, that the splitter accepts.
    public let maxValueBytes: Int

    private var phase = Phase.start
    private var isArrayForm = false
    /// Inside a string within a container.
    private var inString = false
    /// The previous byte was a backslash inside a string.
    private var escaped = false
    /// The closing bracket expected for each open container, innermost last.
    private var closers: [UInt8] = []
    /// The bytes of the current value received in earlier chunks (empty when it began in the
    /// current one; never empty otherwise, as a value starts with a non-whitespace byte).
    private var pending = ByteBuffer()
    /// Body bytes before the current chunk, for error messages.
    private var offset = 0

    /// Creates a splitter for one body.
    /// - Parameter maxValueBytes: the size limit of one value; larger values throw
    ///   ``TranscodingError/Code/tooLarge``, which bounds the memory held for a partial value.
    public init(maxValueBytes: Int) {
        precondition(maxValueBytes > 0, "maxValueBytes must be positive")
        self.maxValueBytes = maxValueBytes
    }

    /// Feeds the next chunk of the body.
    /// - Parameter chunk: the bytes; its readable bytes are read, not consumed.
    /// - Returns: the values completed by this chunk, in order, each holding exactly one JSON
    ///   value without surrounding whitespace.
    /// - Throws: ``TranscodingError`` `malformedJSON` for structural garbage, `tooLarge` for a
    ///   value over the limit; the splitter then rejects everything.
    public mutating func append(_ chunk: ByteBuffer) throws(TranscodingError) -> [ByteBuffer] {
        guard phase != .done else {
            throw TranscodingError(code: .malformedJSON, message: "body data after an error or after its end")
        }
        var values: [ByteBuffer] = []
        let failure = chunk.withUnsafeReadableBytes { bytes -> TranscodingError? in
            do throws(TranscodingError) {
                try scan(bytes, of: chunk, into: &values)
                return nil
            } catch {
                return error
            }
        }
        if let failure {
            phase = .done
            pending = ByteBuffer()
            throw failure
        }
        offset += chunk.readableBytes
        return values
    }

    /// Ends the body.
    /// - Returns: the last value when the body ends with a bare number or literal (`… 42`), which
    ///   only the end of the body completes; otherwise nothing.
    /// - Throws: ``TranscodingError`` `malformedJSON` when a value is truncated or the array
    ///   form's `]` is missing.
    public mutating func finish() throws(TranscodingError) -> [ByteBuffer] {
        let last = phase
        phase = .done
        switch last {
        case .start, .sequenceGap, .arrayClosed:
            return []
        case .bare where !isArrayForm:
            let value = pending
            pending = ByteBuffer()
            return [value]
        case .arrayFirst, .arrayElement, .arrayAfterElement, .bare:
            throw malformed("the body ends before the closing ']' of its array")
        case .container, .string:
            throw malformed("the body ends inside a JSON value")
        case .done:
            throw TranscodingError(code: .malformedJSON, message: "body data after an error or after its end")
        }
    }

    /// Scans one chunk, appending completed values to `values`.
    private mutating func scan(
        _ bytes: UnsafeRawBufferPointer,
        of chunk: ByteBuffer,
        into values: inout [ByteBuffer]
    ) throws(TranscodingError) {
        let count = bytes.count
        // Where the current value begins in this chunk (0 when it began in an earlier one).
        var valueStart = 0
        var i = 0
        while i < count {
            switch phase {
            case .container:
                var inString = self.inString
                var escaped = self.escaped
                var closed = false
                while i < count {
                    if inString {
                        if escaped {
                            escaped = false
                            i += 1
                            continue
                        }
                        i = skipPlainStringBytes(bytes, from: i)
                        guard i < count else { break }
                        // A quote or a backslash.
                        escaped = bytes[i] == .backslash
                        inString = escaped
                        i += 1
                        continue
                    }
                    let byte = bytes[i]
                    i += 1
                    switch byte {
                    case .quote: inString = true
                    case .openBrace: closers.append(.closeBrace)
                    case .openBracket: closers.append(.closeBracket)
                    case .closeBrace, .closeBracket:
                        guard closers.last == byte else {
                            // A value already past the limit before this byte is too large: a body
                            // cut before the byte says so at the cut, and the answer must not
                            // depend on where the body is cut.
                            if pending.readableBytes + (i - 1 - valueStart) > maxValueBytes { throw tooLarge() }
                            throw malformed("unbalanced '\(Character(Unicode.Scalar(byte)))'", at: i - 1)
                        }
                        closers.removeLast()
                        closed = closers.isEmpty
                    default: break
                    }
                    if closed { break }
                }
                self.inString = inString
                self.escaped = escaped
                if closed { try emit(bytes, valueStart..<i, of: chunk, into: &values) }

            case .string:
                var escaped = self.escaped
                var closed = false
                while i < count {
                    if escaped {
                        escaped = false
                        i += 1
                        continue
                    }
                    i = skipPlainStringBytes(bytes, from: i)
                    guard i < count else { break }
                    // A quote or a backslash.
                    escaped = bytes[i] == .backslash
                    closed = !escaped
                    i += 1
                    if closed { break }
                }
                self.escaped = escaped
                if closed { try emit(bytes, valueStart..<i, of: chunk, into: &values) }

            case .bare:
                while i < count && bytes[i].isBareScalarByte { i += 1 }
                // The terminator is not part of the value: the gap phase looks at it next.
                if i < count { try emit(bytes, valueStart..<i, of: chunk, into: &values) }

            case .start, .sequenceGap, .arrayFirst, .arrayElement, .arrayAfterElement, .arrayClosed:
                let byte = bytes[i]
                if byte.isJSONWhitespace {
                    i += 1
                    continue
                }
                switch (phase, byte) {
                case (.start, .openBracket):
                    isArrayForm = true
                    phase = .arrayFirst
                    i += 1
                case (.arrayFirst, .closeBracket), (.arrayAfterElement, .closeBracket):
                    phase = .arrayClosed
                    i += 1
                case (.arrayAfterElement, .comma):
                    phase = .arrayElement
                    i += 1
                case (.start, _), (.sequenceGap, _), (.arrayFirst, _), (.arrayElement, _):
                    valueStart = i
                    try beginValue(byte, at: i)
                    i += 1
                case (.arrayAfterElement, _):
                    throw malformed("expected ',' or ']' after an array element", at: i, byte: byte)
                default:
                    throw malformed("unexpected data after the closing ']'", at: i, byte: byte)
                }

            case .done:
                preconditionFailure("scan after done")
            }
        }
        switch phase {
        case .container, .string, .bare:
            let size = pending.readableBytes + (count - valueStart)
            guard size <= maxValueBytes else { throw tooLarge() }
            pending.writeBytes(UnsafeRawBufferPointer(rebasing: bytes[valueStart..<count]))
        default:
            break
        }
    }

    /// The index of the first quote or backslash at or after `start`, or the end of `bytes`.
    ///
    /// Most of a body is string content (base64 payloads above all), so this is the hot loop:
    /// it tests eight bytes at a time with the classic has-zero-byte trick.
    @inline(__always)
    private func skipPlainStringBytes(_ bytes: UnsafeRawBufferPointer, from start: Int) -> Int {
        let ones: UInt64 = 0x0101_0101_0101_0101
        let highs: UInt64 = 0x8080_8080_8080_8080
        let quotes = ones &* UInt64(UInt8.quote)
        let backslashes = ones &* UInt64(UInt8.backslash)
        let count = bytes.count
        var i = start
        while i &+ 8 <= count {
            let word = bytes.loadUnaligned(fromByteOffset: i, as: UInt64.self)
            let q = word ^ quotes
            let b = word ^ backslashes
            if ((q &- ones) & ~q | (b &- ones) & ~b) & highs != 0 { break }
            i &+= 8
        }
        while i < count {
            let byte = bytes[i]
            if byte == .quote || byte == .backslash { break }
            i &+= 1
        }
        return i
    }

    /// Starts a value at its first byte.
    private mutating func beginValue(_ byte: UInt8, at index: Int) throws(TranscodingError) {
        switch byte {
        case .openBrace, .openBracket:
            closers.removeAll(keepingCapacity: true)
            closers.append(byte == .openBrace ? .closeBrace : .closeBracket)
            inString = false
            escaped = false
            phase = .container
        case .quote:
            escaped = false
            phase = .string
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "t"), UInt8(ascii: "f"),
            UInt8(ascii: "n"):
            phase = .bare
        default:
            throw malformed(
                isArrayForm ? "expected an array element" : "expected a JSON value",
                at: index,
                byte: byte
            )
        }
    }

    /// Hands out the value that ends in this chunk at `range.upperBound`.
    private mutating func emit(
        _ bytes: UnsafeRawBufferPointer,
        _ range: Range<Int>,
        of chunk: ByteBuffer,
        into values: inout [ByteBuffer]
    ) throws(TranscodingError) {
        guard pending.readableBytes + range.count <= maxValueBytes else { throw tooLarge() }
        if pending.readableBytes == 0 {
            values.append(chunk.getSlice(at: chunk.readerIndex + range.lowerBound, length: range.count)!)
        } else {
            pending.writeBytes(UnsafeRawBufferPointer(rebasing: bytes[range]))
            values.append(pending)
            // The handed-out buffer keeps the storage; the next partial value gets a new one.
            pending = ByteBuffer()
        }
        phase = isArrayForm ? .arrayAfterElement : .sequenceGap
    }

    private func malformed(_ message: String, at index: Int? = nil, byte: UInt8? = nil) -> TranscodingError {
        var text = message
        if let byte {
            let shown =
                byte >= 0x20 && byte < 0x7F
                ? "'\(Character(Unicode.Scalar(byte)))'" : "byte 0x\(String(byte, radix: 16, uppercase: true))"
            text = "unexpected \(shown): " + message
        }
        if let index { text += " (at body offset \(offset + index))" }
        return TranscodingError(code: .malformedJSON, message: text)
    }

    private func tooLarge() -> TranscodingError {
        TranscodingError(code: .tooLarge, message: "a JSON value of the body exceeds \(maxValueBytes) bytes")
    }
}

extension UInt8 {
    fileprivate static let quote = UInt8(ascii: "\"")
    fileprivate static let backslash = UInt8(ascii: "\\")
    fileprivate static let openBrace = UInt8(ascii: "{")
    fileprivate static let closeBrace = UInt8(ascii: "}")
    fileprivate static let openBracket = UInt8(ascii: "[")
    fileprivate static let closeBracket = UInt8(ascii: "]")
    fileprivate static let comma = UInt8(ascii: ",")

    /// Space, tab, line feed or carriage return (RFC 8259 whitespace).
    fileprivate var isJSONWhitespace: Bool {
        self == 0x20 || self == 0x0A || self == 0x0D || self == 0x09
    }

    /// A byte that can continue a number or a `true`/`false`/`null` literal; jansson judges the
    /// token itself.
    fileprivate var isBareScalarByte: Bool {
        switch self {
        case UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "a")...UInt8(ascii: "z"),
            UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "+"), UInt8(ascii: "-"), UInt8(ascii: "."):
            true
        default:
            false
        }
    }
}
