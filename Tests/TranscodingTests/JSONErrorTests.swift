import NIOCore
import Testing
import Transcoding

@Suite("Malformed JSON and wrong types")
struct JSONErrorTests {
    let codec = Codec()

    @Test("malformed JSON reports jansson's line and column")
    func malformed() {
        let error = transcodingError { () throws(TranscodingError) in
            try codec.encode("{\n  \"fInt32\": 1,\n  \"fString\": }")
        }
        #expect(error?.code == .malformedJSON)
        #expect(error?.message.contains("line 3, column 14") == true, "\(String(describing: error?.message))")
        let empty = transcodingError { () throws(TranscodingError) in try codec.encode("") }
        #expect(empty?.code == .malformedJSON)
    }

    @Test(
        "documents jansson refuses are malformedJSON: duplicate keys, invalid UTF-8, lone surrogates, 100,000 open arrays",
        arguments: [
            Array(#"{"fInt32": 1, "fInt32": 2}"#.utf8), Array(#"{"nested": {"label": "a", "label": "b"}}"#.utf8),
            Array(#"{"fString": ""#.utf8) + [0xC3, 0x28] + Array(#""}"#.utf8),
            Array(#"{"fString": ""#.utf8) + [0xED, 0xA0, 0x80] + Array(#""}"#.utf8),
            Array(#"{"fString": "\ud800"}"#.utf8), Array(#"{"fString": "\udc00x"}"#.utf8),
            Array(#"{"fString": 'single'}"#.utf8), Array(#"{"fInt32": 01}"#.utf8), Array(#"{"fInt32": 1,}"#.utf8),
            Array(#"{"fFloat": NaN}"#.utf8), Array(#"{"fInt32": 1} trailing"#.utf8),
            Array(repeating: UInt8(ascii: "["), count: 100_000),
        ]
    )
    func refusedDocuments(_ json: [UInt8]) {
        let error = transcodingError { () throws(TranscodingError) in
            var out = ByteBuffer()
            try RequestTranscoder(pool: Fixtures.demoPool, options: JSONCodecOptions())
                .encode(json: ByteBuffer(bytes: json), as: Fixtures.everything, into: &out)
            return out
        }
        #expect(error?.code == .malformedJSON, "\(String(decoding: json.prefix(60), as: UTF8.self))")
    }

    @Test(
        "a wrong JSON type is invalidValue with the path",
        arguments: [
            (#"{"nested": 1}"#, "nested"), (#"{"nested": {"child": {"label": []}}}"#, "nested.child.label"),
            (#"{"items": {}}"#, "items"), (#"{"tags": [1]}"#, "tags[0]"), (#"{"fString": 1}"#, "fString"),
            (#"{"fBytes": 1}"#, "fBytes"), (#"{"color": true}"#, "color"), (#"[1]"#, ""),
        ]
    )
    func wrongTypes(_ json: String, _ path: String) {
        let error = transcodingError { () throws(TranscodingError) in try codec.encode(json) }
        #expect(error?.code == .invalidValue)
        #expect(error?.fieldPath == path)
    }

    @Test("the description carries code, path and message")
    func description() {
        let error = TranscodingError(code: .invalidValue, message: "bad", fieldPath: "a.b")
        #expect(error.description == "invalidValue at a.b: bad")
    }
}

@Suite("JSONWriter")
struct JSONWriterTests {
    private func written(_ body: (inout ByteBuffer) -> Void) -> String {
        var out = ByteBuffer()
        body(&out)
        return String(buffer: out)
    }

    @Test("strings escape quotes, backslashes and control characters; UTF-8 passes through")
    func strings() {
        #expect(written { JSONWriter.writeString("a\"b\\c", into: &$0) } == #""a\"b\\c""#)
        #expect(
            written { JSONWriter.writeString("\u{0}\u{8}\u{9}\u{A}\u{C}\u{D}\u{1F}", into: &$0) }
                == #""\u0000\b\t\n\f\r\u001f""#
        )
        #expect(written { JSONWriter.writeString("héllo 😀", into: &$0) } == "\"héllo 😀\"")
        #expect(written { JSONWriter.writeString("user 9 not found"[...], into: &$0) } == #""user 9 not found""#)
    }

    @Test("numbers")
    func numbers() {
        #expect(written { JSONWriter.writeNumber(Int64.min, into: &$0) } == "-9223372036854775808")
        #expect(written { JSONWriter.writeNumber(UInt64.max, into: &$0) } == "18446744073709551615")
        #expect(written { JSONWriter.writeNumber(0 as UInt64, into: &$0) } == "0")
        #expect(written { JSONWriter.writeNumber(1.0 as Double, into: &$0) } == "1")
        #expect(written { JSONWriter.writeNumber(-0.25 as Double, into: &$0) } == "-0.25")
        #expect(written { JSONWriter.writeNumber(Float(0.1), into: &$0) } == "0.1")
        #expect(written { JSONWriter.writeNumber(Double.nan, into: &$0) } == #""NaN""#)
        #expect(written { JSONWriter.writeNumber(-Float.infinity, into: &$0) } == #""-Infinity""#)
        #expect(written { JSONWriter.writeBool(false, into: &$0) } == "false")
    }
}

@Suite("Nesting limits")
struct NestingLimitTests {
    let codec = Codec()

    @Test("JSON nested deeper than 100 messages is invalidValue, 100 is fine")
    func deepJSON() throws {
        func document(_ depth: Int) -> String {
            String(repeating: #"{"child":"#, count: depth) + "{}" + String(repeating: "}", count: depth)
        }
        _ = try codec.encode(document(98), as: Fixtures.nested)
        let error = transcodingError { () throws(TranscodingError) in
            try codec.encode(document(150), as: Fixtures.nested)
        }
        #expect(error?.code == .invalidValue)
        #expect(error?.fieldPath.hasPrefix("child.child.child") == true)
    }

    @Test("protobuf nested deeper than 100 messages or groups is malformedProtobuf")
    func deepProtobuf() {
        // Nested.child (field 3) wrapping itself 150 times.
        var bytes: [UInt8] = []
        for _ in 0..<150 {
            var length = bytes.count
            var prefix: [UInt8] = []
            while length >= 0x80 {
                prefix.append(UInt8(length & 0x7F) | 0x80)
                length >>= 7
            }
            prefix.append(UInt8(length))
            bytes = [0x1A] + prefix + bytes
        }
        let error = transcodingError { () throws(TranscodingError) in try codec.decode(bytes, as: Fixtures.nested) }
        #expect(error?.code == .malformedProtobuf)
        // Unknown field 9 as 1000 nested start-group tags.
        let groups = [UInt8](repeating: 0x4B, count: 1000) + [UInt8](repeating: 0x4C, count: 1000)
        let skipped = transcodingError { () throws(TranscodingError) in try codec.decode(groups, as: Fixtures.nested) }
        #expect(skipped?.code == .malformedProtobuf)
    }
}
