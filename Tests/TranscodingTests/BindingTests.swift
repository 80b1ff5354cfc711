import NIOCore
import ProtoSchema
import Testing
import Transcoding

@Suite("Path and query bindings woven into the body")
struct BindingTests {
    let codec = Codec()

    @Test("scalars of every kind parse from their string forms")
    func scalarForms() throws {
        let bytes = try codec.bind([
            ("f_string", "shelves/1"), ("f_int64", "-9223372036854775808"), ("f_uint64", "18446744073709551615"),
            ("f_int32", "1e2"), ("f_bool", "true"), ("f_double", "-Infinity"), ("f_float", "0.5"),
            ("f_bytes", "-_8"), ("color", "GREEN"), ("f_sint32", "-3"),
        ])
        #expect(
            try codec.decode(bytes)
                == #"{"fDouble":"-Infinity","fFloat":0.5,"fInt64":"-9223372036854775808","fUint64":"18446744073709551615","fInt32":100,"fBool":true,"fString":"shelves/1","fBytes":"+/8=","fSint32":-3,"color":"GREEN"}"#
        )
    }

    @Test("nested paths wrap the value in messages that merge with the body")
    func nestedPath() throws {
        let body = try codec.encode(#"{"nested": {"value": 5, "label": "body"}, "fInt32": 1}"#)
        let bytes = try codec.bind(
            [("nested.label", "from-path"), ("nested.child.value", "7"), ("f_int32", "2")],
            after: body
        )
        #expect(
            try codec.decode(bytes) == #"{"fInt32":2,"nested":{"label":"from-path","value":5,"child":{"value":7}}}"#
        )
    }

    @Test("repeated bindings append, enums bind by name or number")
    func repeatedBindings() throws {
        let body = try codec.encode(#"{"tags": ["body"]}"#)
        let bytes = try codec.bind(
            [("tags", "a"), ("tags", "b"), ("colors", "RED"), ("colors", "3"), ("numbers", "4")],
            after: body
        )
        #expect(try codec.decode(bytes) == #"{"numbers":[4],"tags":["body","a","b"],"colors":["RED","BLUE"]}"#)
    }

    @Test(
        "a bad value is invalidValue with the binding's path",
        arguments: [
            ("f_int32", "x"), ("f_int32", "2147483648"), ("nested.value", "1.5"), ("f_bool", "yes"),
            ("color", "PURPLE"), ("f_bytes", "a"), ("f_double", "1e400"), ("f_uint64", "-1"),
        ]
    )
    func badValue(_ path: String, _ value: String) {
        let error = transcodingError { () throws(TranscodingError) in try codec.bind([(path, value)]) }
        #expect(error?.code == .invalidValue)
        #expect(error?.fieldPath == path)
    }

    @Test(
        "integer values with leading zeros read as decimal, for every integer type and enum numbers",
        arguments: [
            ("f_int32", "007", "7"), ("f_int32", "-007", "-7"), ("f_int64", "0010", "10"), ("f_int64", "-0010", "-10"),
            ("f_uint32", "010", "10"), ("f_uint64", "00018446744073709551615", "18446744073709551615"),
            ("f_sint32", "-0003", "-3"), ("f_sint64", "0009", "9"), ("f_fixed32", "08", "8"), ("f_fixed64", "09", "9"),
            ("f_sfixed32", "-012", "-12"), ("f_sfixed64", "012", "12"), ("color", "002", "2"), ("colors", "03", "3"),
            ("numbers", "-04", "-4"), ("nested.value", "0042", "42"), ("maybe", "000", "0"), ("f_int32", "-00", "0"),
            ("f_int32", "007e1", "70"), ("big", "0099", "99"),
        ]
    )
    func leadingZeros(_ path: String, _ padded: String, _ plain: String) throws {
        let bytes = try codec.bind([(path, padded)])
        #expect(!bytes.isEmpty || plain == "0")
        #expect(bytes == (try codec.bind([(path, plain)])))
    }

    @Test("leading zeros in a map entry's integer value from the query read as decimal")
    func leadingZerosInMapValue() throws {
        var out = ByteBuffer()
        let counts = codec.field("counts")
        try RequestTranscoder(pool: codec.pool, options: codec.options)
            .encode(bindings: [FieldBinding(fieldPath: [counts], value: "-007", mapKey: "k")], into: &out)
        #expect(try codec.decode(Array(out.readableBytesView)) == #"{"counts":{"k":-7}}"#)
    }

    @Test(
        "leading zeros do not open other spellings: octal or hex prefixes, signs, overflow stay invalid",
        arguments: [
            ("f_int32", "0x10"), ("f_int32", "+007"), ("f_int32", "00 7"), ("f_int32", "0o7"),
            ("f_int32", "0002147483648"),
            ("f_uint32", "-001"), ("color", "-00x1"), ("f_int32", "00.5"), ("f_int32", "-"), ("f_int32", "0-7"),
        ]
    )
    func leadingZerosStayStrictOtherwise(_ path: String, _ value: String) {
        let error = transcodingError { () throws(TranscodingError) in try codec.bind([(path, value)]) }
        #expect(error?.code == .invalidValue)
        #expect(error?.fieldPath == path)
    }

    @Test("JSON bodies keep the JSON grammar: a quoted integer with a leading zero is refused")
    func leadingZerosInJSONStayInvalid() {
        for json in [
            #"{"fInt32": "007"}"#, #"{"color": "002"}"#, #"{"counts": {"k": "07"}}"#, #"{"byId": {"007": {}}}"#,
        ] {
            let error = transcodingError { () throws(TranscodingError) in try codec.encode(json) }
            #expect(error?.code == .invalidValue, "\(json)")
        }
    }

    @Test("a message-typed leaf is unsupported (well-known types come later)")
    func messageLeaf() {
        let error = transcodingError { () throws(TranscodingError) in try codec.bind([("nested", "x")]) }
        #expect(error?.code == .unsupported)
    }
}

@Suite("body: \"field\" and response_body: \"field\"")
struct FieldBodyTests {
    let codec = Codec()

    private func encode(_ json: String, asField name: String) throws(TranscodingError) -> [UInt8] {
        var out = ByteBuffer()
        try RequestTranscoder(pool: codec.pool, options: codec.options)
            .encode(json: ByteBuffer(string: json), asField: codec.field(name), into: &out)
        return Array(out.readableBytesView)
    }

    private func write(_ bytes: [UInt8], field name: String) throws(TranscodingError) -> String {
        var out = ByteBuffer()
        try ResponseTranscoder(pool: codec.pool, options: codec.options)
            .write(protobuf: ByteBuffer(bytes: bytes), field: codec.field(name), of: Fixtures.everything, into: &out)
        return String(buffer: out)
    }

    @Test("a message, repeated, map or scalar document becomes that field")
    func requestField() throws {
        #expect(try encode(#"{"label": "x"}"#, asField: "nested") == [0x8A, 0x01, 3, 0x0A, 1, 0x78])
        #expect(try codec.decode(try encode(#"["a", "b"]"#, asField: "tags")) == #"{"tags":["a","b"]}"#)
        #expect(try codec.decode(try encode(#"{"k": 3}"#, asField: "counts")) == #"{"counts":{"k":3}}"#)
        #expect(try codec.decode(try encode(#""-4""#, asField: "f_int64")) == #"{"fInt64":"-4"}"#)
        #expect(try encode("null", asField: "nested") == [])
        let error = transcodingError { () throws(TranscodingError) in try encode(#"{"label": 1}"#, asField: "nested") }
        #expect(error?.fieldPath == "nested.label")
    }

    @Test("only the field's value is written, defaults when absent")
    func responseField() throws {
        let bytes = try codec.encode(#"{"nested": {"label": "x"}, "tags": ["t"], "fInt32": 4}"#)
        #expect(try write(bytes, field: "nested") == #"{"label":"x"}"#)
        #expect(try write(bytes, field: "tags") == #"["t"]"#)
        #expect(try write(bytes, field: "f_int32") == "4")
        #expect(try write([], field: "nested") == "null")
        #expect(try write([], field: "items") == "[]")
        #expect(try write([], field: "counts") == "{}")
        #expect(try write([], field: "f_string") == #""""#)
        #expect(try write([], field: "f_int64") == #""0""#)
        #expect(try write([], field: "color") == #""COLOR_UNSPECIFIED""#)
    }
}
