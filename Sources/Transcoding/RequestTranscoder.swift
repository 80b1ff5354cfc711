public import NIOCore
public import ProtoSchema

/// Turns a proto3 JSON request body plus path/query bindings into protobuf wire bytes, walking
/// the message descriptors of a ``DescriptorPool`` (there are no generated types at run time).
///
/// The body is written first, then the bindings are appended: protobuf merge semantics (last
/// scalar wins, repeated fields append, nested messages merge) make URL values override or
/// extend the body without ever building a message tree.
///
/// ```swift
/// let transcoder = RequestTranscoder(pool: pool, options: JSONCodecOptions())
/// var message = ByteBuffer()
/// try transcoder.encode(json: body, as: method.input, into: &message)
/// try transcoder.encode(bindings: match.bindings, into: &message)
/// ```
///
/// JSON documents are read in one pass by ``StreamingJSONEncoder`` (no tree, fields found by
/// the key's bytes); a document it declines (any error, `google.protobuf.Any`, a key with an
/// escape, a bare integer beyond `Int64`) is parsed again by jansson and walked as a tree, which
/// gives every error its message, jansson's line and column, and its JSON path.
///
/// Cheap to create: it holds the pool and the options (lookup tables are built with the pool).
/// On error, `out` may hold partial output.
public struct RequestTranscoder: Sendable {
    /// The schema.
    public let pool: DescriptorPool
    /// The mapping options.
    public let options: JSONCodecOptions
    /// How many messages enclose the one being encoded (bounded by ``maxMessageDepth``).
    private(set) var depth = 0

    /// Creates a transcoder.
    public init(pool: DescriptorPool, options: JSONCodecOptions) {
        self.pool = pool
        self.options = options
    }

    /// A copy for encoding the fields of a message one level deeper.
    func nested() throws(TranscodingError) -> RequestTranscoder {
        guard depth < maxMessageDepth else {
            throw .invalid("messages nested more than \(maxMessageDepth) deep")
        }
        var copy = self
        copy.depth += 1
        return copy
    }

    var scalars: ScalarParser {
        ScalarParser(pool: pool, ignoreUnknownEnumNames: options.ignoreUnknownFields)
    }

    /// Encodes a whole JSON document as message `type` and appends the wire bytes to `out`.
    ///
    /// A bare JSON integer beyond `Int64` (a `uint64` up to 18446744073709551615) is read exactly
    /// through ``BareBigIntegers``.
    /// - Parameters:
    ///   - json: the document; its readable bytes are parsed, the buffer is not consumed.
    ///   - type: the message type of the document (the root must be an object; a top-level
    ///     `null` is not a message, as the conformance suite requires, unlike `null` as a field
    ///     value, which means the default).
    ///   - out: receives the encoded message (no length prefix).
    /// - Throws: ``TranscodingError`` with the path of the offending value.
    public func encode(json: ByteBuffer, as type: MessageID, into out: inout ByteBuffer) throws(TranscodingError) {
        if StreamingJSONEncoder.encode(json, as: type, transcoder: self, into: &out) { return }
        try encodeFromTree(json: json, as: type, into: &out)
    }

    /// ``encode(json:as:into:)`` through jansson's tree: the path for every document the
    /// streaming encoder declines (errors, `Any`, escaped keys, bare integers beyond `Int64`).
    func encodeFromTree(json: ByteBuffer, as type: MessageID, into out: inout ByteBuffer) throws(TranscodingError) {
        let document = try JanssonDocument(parsing: json)
        try withExtendedLifetime(document) { () throws(TranscodingError) in
            let root = document.root
            if root.kind == .null, pool[type].wellKnownType != .value {
                throw .invalid("expected a JSON object for \(pool[type].fullName), got null")
            }
            try encodeMessage(root, type, into: &out)
        }
    }

    /// Encodes a JSON document as the value of top-level `field` (for HttpRule `body: "field"`)
    /// and appends the field (tag and value, or one per element for repeated fields) to `out`.
    /// - Parameters:
    ///   - json: the document: an object for message fields, an array for repeated fields, an
    ///     object for maps, or a scalar; `null` writes nothing.
    ///   - field: a field of the request message.
    ///   - out: receives the encoded field.
    /// - Throws: ``TranscodingError`` with a path starting at the field's name.
    public func encode(
        json: ByteBuffer,
        asField field: FieldDescriptor,
        into out: inout ByteBuffer
    )
        throws(TranscodingError)
    {
        if StreamingJSONEncoder.encode(json, asField: field, transcoder: self, into: &out) { return }
        try encodeFromTree(json: json, asField: field, into: &out)
    }

    /// ``encode(json:asField:into:)`` through jansson's tree (see ``encodeFromTree(json:as:into:)``).
    func encodeFromTree(
        json: ByteBuffer,
        asField field: FieldDescriptor,
        into out: inout ByteBuffer
    )
        throws(TranscodingError)
    {
        let document = try JanssonDocument(parsing: json)
        try withExtendedLifetime(document) { () throws(TranscodingError) in
            let root = document.root
            try withPath(.field(options.useProtoNames ? field.name : field.jsonName)) { () throws(TranscodingError) in
                if root.kind == .null {
                    try encodeNull(field, into: &out)
                } else {
                    try encodeField(field, root, into: &out)
                }
            }
        }
    }
}
