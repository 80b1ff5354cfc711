import CJansson
import NIOCore

/// The owner of one parsed jansson tree: the only holder of the root `json_t` reference.
///
/// The tree path of ``RequestTranscoder``: documents the streaming encoder declines (errors
/// above all), and documents for the other readers of JSON (field masks from a body's keys).
///
/// ``JSONValue``s handed out by ``root`` borrow from this document and must not outlive it;
/// the transcoders keep the document alive for the whole walk.
///
/// Parsing uses `JSON_DECODE_ANY | JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL`: any JSON value may
/// be the root (for `body: "field"` scalars), duplicate keys are an error, and `\u0000` is
/// allowed inside strings (proto3 strings may contain NUL).
///
/// jansson stores integers as `Int64`: a document with a bare integer beyond it (a `uint64`
/// above `Int64.max`) is parsed a second time through ``BareBigIntegers``, and such values come
/// out as ``JSONValue/Kind/bigInteger``.
final class JanssonDocument {
    /// The root value.
    let root: JSONValue

    /// Parses a whole JSON document.
    /// - Throws: ``TranscodingError/Code/malformedJSON`` with jansson's line and column.
    init(parsing buffer: ByteBuffer) throws(TranscodingError) {
        var source = buffer
        var marksBigIntegers = false
        var root: JSONValue
        do {
            root = try Self.parse(buffer, marksBigIntegers: false)
        } catch  where BareBigIntegers.isTooBigInteger(error.message) {
            guard let rewritten = BareBigIntegers.rewrite(buffer) else { throw error }
            source = rewritten
            marksBigIntegers = true
            root = try Self.parse(rewritten, marksBigIntegers: true)
        }
        // jansson reads the integer literal `-0` as 0, losing the sign a double keeps: a document
        // that parsed and has one is read again with each as `-0.0` (errors keep their columns).
        if let signed = NegativeZeroLiterals.rewrite(source) {
            json_decref(root.raw)
            root = try Self.parse(signed, marksBigIntegers: marksBigIntegers)
        }
        self.root = root
    }

    private static func parse(_ buffer: ByteBuffer, marksBigIntegers: Bool) throws(TranscodingError) -> JSONValue {
        var error = json_error_t()
        let flags = JSON_DECODE_ANY | JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL
        let parsed = buffer.withUnsafeReadableBytes { bytes -> UnsafeMutablePointer<json_t>? in
            // jansson needs a non-null pointer even for an empty document.
            guard let base = bytes.baseAddress else { return json_loadb("", 0, Int(flags), &error) }
            return json_loadb(base.assumingMemoryBound(to: CChar.self), bytes.count, Int(flags), &error)
        }
        guard let parsed else {
            let text = withUnsafeBytes(of: error.text) { raw in
                String(cString: raw.bindMemory(to: CChar.self).baseAddress!)
            }
            throw TranscodingError(
                code: .malformedJSON,
                message: "malformed JSON at line \(error.line), column \(error.column): \(text)"
            )
        }
        return JSONValue(parsed, marksBigIntegers: marksBigIntegers)
    }

    deinit {
        json_decref(root.raw)
    }
}

/// A borrowed view of one jansson value; valid while its ``JanssonDocument`` is alive.
struct JSONValue {
    /// The JSON type of a value.
    enum Kind {
        case object, array, string, integer, real, `true`, `false`, null
        /// A bare integer literal outside `Int64` (see ``BareBigIntegers``); its text is
        /// ``JSONValue/bigIntegerText``.
        case bigInteger
    }

    let raw: UnsafeMutablePointer<json_t>
    /// Whether the document went through ``BareBigIntegers/rewrite(_:)``, so strings starting
    /// with two NULs are marked integers (in any other document they are just strings).
    let marksBigIntegers: Bool

    init(_ raw: UnsafeMutablePointer<json_t>, marksBigIntegers: Bool) {
        self.raw = raw
        self.marksBigIntegers = marksBigIntegers
    }

    var kind: Kind {
        switch cjansson_typeof(raw) {
        case JSON_OBJECT: .object
        case JSON_ARRAY: .array
        case JSON_STRING: isBigInteger ? .bigInteger : .string
        case JSON_INTEGER: .integer
        case JSON_REAL: .real
        case JSON_TRUE: .true
        case JSON_FALSE: .false
        default: .null
        }
    }

    /// Whether a string is a marked bare integer (in a rewritten document, it starts with two
    /// NULs, which that document's own strings do not: see ``BareBigIntegers``).
    private var isBigInteger: Bool {
        guard marksBigIntegers, json_string_length(raw) >= 2, let text = json_string_value(raw) else { return false }
        return text[0] == 0 && text[1] == 0
    }

    /// The literal of a ``Kind/bigInteger`` (`18446744073709551615`, `-9223372036854775809`).
    var bigIntegerText: UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(rebasing: stringBytes.dropFirst(2))
    }

    /// The value of an integer.
    var integer: Int64 { Int64(json_integer_value(raw)) }

    /// The value of a real.
    var real: Double { json_real_value(raw) }

    /// The UTF-8 bytes of a string (may contain NUL); valid while the document is alive.
    var stringBytes: UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(start: json_string_value(raw), count: json_string_length(raw))
    }

    /// The value of a string, copied.
    var string: String { String(decoding: stringBytes, as: UTF8.self) }

    /// The number of elements of an array.
    var count: Int { json_array_size(raw) }

    /// The element of an array at `index`.
    subscript(index: Int) -> JSONValue { JSONValue(json_array_get(raw, index), marksBigIntegers: marksBigIntegers) }

    /// JSON `null` (jansson's shared null value).
    static var null: JSONValue { JSONValue(json_null(), marksBigIntegers: false) }

    /// The member of an object named `key`, if present.
    func member(_ key: String) -> JSONValue? {
        json_object_get(raw, key).map { JSONValue($0, marksBigIntegers: marksBigIntegers) }
    }

    /// The number of members of an object.
    var memberCount: Int { json_object_size(raw) }

    /// Calls `body` with each member of an object, in document order.
    func forEachMember<E: Error>(_ body: (String, JSONValue) throws(E) -> Void) throws(E) {
        var iter = json_object_iter(raw)
        while let current = iter {
            let key = json_object_iter_key(current)!
            let length = json_object_iter_key_len(current)
            let name = String(decoding: UnsafeRawBufferPointer(start: key, count: length), as: UTF8.self)
            try body(name, JSONValue(json_object_iter_value(current), marksBigIntegers: marksBigIntegers))
            iter = json_object_iter_next(raw, current)
        }
    }
}
