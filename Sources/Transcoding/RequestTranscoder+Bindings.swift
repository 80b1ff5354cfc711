public import NIOCore
public import ProtoSchema

extension RequestTranscoder {
    /// Appends path-variable and query-parameter values to an encoded request.
    ///
    /// Each value is parsed as its leaf field's type in the proto3 JSON string form: numbers
    /// (64-bit included, exponent forms when integral; integers and enum numbers may have leading
    /// zeros, read as decimal: `007` is 7, `-007` is -7), `true`/`false`, `NaN`/`Infinity`, enum
    /// names or numbers, base64 (standard or URL-safe) for bytes, raw text for strings. The value
    /// is wrapped in one length-delimited message per path segment (`nested.label` →
    /// `nested { label }`), so appending after the body merges into it: a later scalar replaces
    /// the body's, a repeated field gains one element per binding, nested messages merge.
    /// - Parameters:
    ///   - bindings: values with resolved field paths, in the order they should apply.
    ///   - out: the encoded request so far.
    /// A map binding (`labels[env]=prod`) adds one entry. Leaves of type Timestamp, Duration and
    /// FieldMask take their JSON string form
    /// (`2024-01-01T00:00:00Z`, `1.5s`, `a,b.c`); a wrapper leaf takes the value it wraps.
    /// - Throws: ``TranscodingError`` (`invalidValue`, or `unsupported` for another message-typed
    ///   leaf) whose path is the binding's dotted path.
    public func encode(bindings: [FieldBinding], into out: inout ByteBuffer) throws(TranscodingError) {
        let parser = ScalarParser(pool: pool, ignoreUnknownEnumNames: false, allowsLeadingZeros: true)
        for binding in bindings {
            guard let leaf = binding.fieldPath.last else { continue }
            do {
                if let key = binding.mapKey, let entry = leaf.mapEntry {
                    try encodeMapEntry(
                        key: key,
                        value: binding.value,
                        field: leaf,
                        entry: entry,
                        path: binding.fieldPath[...],
                        into: &out
                    )
                    continue
                }
                if case .message(let id) = leaf.type, let kind = pool[id].wellKnownType {
                    // Timestamp, Duration and FieldMask in their JSON string form; a wrapper as
                    // the value it wraps.
                    try writeNested(binding.fieldPath[...], into: &out) {
                        (out: inout ByteBuffer) throws(TranscodingError) in
                        out.writeTag(leaf.number, .lengthDelimited)
                        try out.writeDelimited { (body: inout ByteBuffer) throws(TranscodingError) in
                            if kind == .wrapper, let wrapped = pool[id].field(number: 1) {
                                try binding.value.withUTF8Bytes { (text) throws(TranscodingError) in
                                    guard let scalar = try parser.parse(text: text, as: wrapped.type) else { return }
                                    body.writeTag(1, wrapped.type.wireType)
                                    try scalar.write(into: &body)
                                }
                            } else {
                                try encodeWellKnown(kind, text: binding.value, into: &body)
                            }
                        }
                    }
                    continue
                }
                try binding.value.withUTF8Bytes { (text) throws(TranscodingError) in
                    guard let scalar = try parser.parse(text: text, as: leaf.type) else { return }
                    try writeNested(binding.fieldPath[...], into: &out) {
                        (out: inout ByteBuffer) throws(TranscodingError) in
                        out.writeTag(leaf.number, leaf.type.wireType)
                        try scalar.write(into: &out)
                    }
                }
            } catch {
                var located = error
                located.fieldPath = binding.dottedPath
                throw located
            }
        }
    }

    /// One map entry from `?field[key]=value`: key and value parsed as the entry's types.
    private func encodeMapEntry(
        key: String,
        value: String,
        field: FieldDescriptor,
        entry: MessageID,
        path: ArraySlice<FieldDescriptor>,
        into out: inout ByteBuffer
    ) throws(TranscodingError) {
        guard let keyField = pool[entry].field(number: 1), let valueField = pool[entry].field(number: 2) else {
            throw .invalid("malformed map entry type \(pool[entry].fullName)")
        }
        let parser = ScalarParser(pool: pool, ignoreUnknownEnumNames: false, allowsLeadingZeros: true)
        // Parsed scalars borrow the text's bytes, so the entry is written inside both closures.
        try key.withUTF8Bytes { (keyText) throws(TranscodingError) in
            try value.withUTF8Bytes { (valueText) throws(TranscodingError) in
                guard let keyScalar = try parser.parse(text: keyText, as: keyField.type),
                    let valueScalar = try parser.parse(text: valueText, as: valueField.type)
                else { return }
                try writeNested(path, into: &out) { (out: inout ByteBuffer) throws(TranscodingError) in
                    out.writeTag(field.number, .lengthDelimited)
                    try out.writeDelimited { (entryBytes: inout ByteBuffer) throws(TranscodingError) in
                        entryBytes.writeTag(1, keyField.type.wireType)
                        try keyScalar.write(into: &entryBytes)
                        entryBytes.writeTag(2, valueField.type.wireType)
                        try valueScalar.write(into: &entryBytes)
                    }
                }
            }
        }
    }

    /// Wraps what `writeLeaf` writes (the leaf field's tag and value) in one length-delimited
    /// message per enclosing field of `path`.
    private func writeNested(
        _ path: ArraySlice<FieldDescriptor>,
        into out: inout ByteBuffer,
        _ writeLeaf: (inout ByteBuffer) throws(TranscodingError) -> Void
    ) throws(TranscodingError) {
        guard path.count > 1 else {
            try writeLeaf(&out)
            return
        }
        out.writeTag(path[path.startIndex].number, .lengthDelimited)
        try out.writeDelimited { (out: inout ByteBuffer) throws(TranscodingError) in
            try writeNested(path.dropFirst(), into: &out, writeLeaf)
        }
    }
}
