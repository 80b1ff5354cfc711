public import NIOCore
public import ProtoSchema

extension RequestTranscoder {
    /// Appends path-variable and query-parameter values to an encoded request.
    ///
    /// Each value is parsed as its leaf field's type in the proto3 JSON string form: numbers
    /// (64-bit included, exponent forms when integral), `true`/`false`, `NaN`/`Infinity`, enum
    /// names or numbers, base64 (standard or URL-safe) for bytes, raw text for strings. The value
    /// is wrapped in one length-delimited message per path segment (`nested.label` →
    /// `nested { label }`), so appending after the body merges into it: a later scalar replaces
    /// the body's, a repeated field gains one element per binding, nested messages merge.
    /// - Parameters:
    ///   - bindings: values with resolved field paths, in the order they should apply.
    ///   - out: the encoded request so far.
    /// - Throws: ``TranscodingError`` (`invalidValue`, or `unsupported` for a message-typed leaf)
    ///   whose path is the binding's dotted path.
    public func encode(bindings: [FieldBinding], into out: inout ByteBuffer) throws(TranscodingError) {
        let parser = ScalarParser(pool: pool, ignoreUnknownEnumNames: false)
        for binding in bindings {
            guard let leaf = binding.fieldPath.last else { continue }
            do {
                try binding.value.withUTF8Bytes { (text) throws(TranscodingError) in
                    guard let scalar = try parser.parse(text: text, as: leaf.type) else { return }
                    try writeNested(binding.fieldPath[...], scalar, into: &out)
                }
            } catch {
                var located = error
                located.fieldPath = binding.dottedPath
                throw located
            }
        }
    }

    private func writeNested(
        _ path: ArraySlice<FieldDescriptor>,
        _ scalar: WireScalar,
        into out: inout ByteBuffer
    ) throws(TranscodingError) {
        let field = path[path.startIndex]
        if path.count == 1 {
            out.writeTag(field.number, field.type.wireType)
            try scalar.write(into: &out)
            return
        }
        out.writeTag(field.number, .lengthDelimited)
        try out.writeDelimited { (out: inout ByteBuffer) throws(TranscodingError) in
            try writeNested(path.dropFirst(), scalar, into: &out)
        }
    }
}
