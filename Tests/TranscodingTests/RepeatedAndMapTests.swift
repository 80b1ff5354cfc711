import Testing
import Transcoding

@Suite("Repeated fields and maps")
struct RepeatedAndMapTests {
    let codec = Codec()

    @Test("repeated scalars are written packed and read packed or unpacked")
    func packed() throws {
        #expect(try codec.encode(#"{"numbers": [1, 2, 300]}"#) == [0xCA, 0x01, 0x04, 1, 2, 0xAC, 0x02])
        // The same values unpacked (tag 25 varint, three times), split by another field.
        let unpacked: [UInt8] = [0xC8, 0x01, 1, 0x28, 7, 0xC8, 0x01, 2, 0xCA, 0x01, 0x02, 0xAC, 0x02]
        #expect(try codec.decode(unpacked) == #"{"fInt32":7,"numbers":[1,2,300]}"#)
        #expect(
            try codec.roundTrip(#"{"doubles": [1.5, -2], "colors": ["RED"], "tags": ["a", ""]}"#)
                == #"{"tags":["a",""],"colors":["RED"],"doubles":[1.5,-2]}"#
        )
    }

    @Test("nested messages in arrays, with the index in error paths")
    func messagesInArrays() throws {
        let json = #"{"items":[{"label":"a"},{},{"value":2,"child":{"label":"c"}}]}"#
        #expect(try codec.roundTrip(json) == json)
        let error = transcodingError { () throws(TranscodingError) in
            try codec.encode(#"{"items": [{}, {"value": "x"}]}"#)
        }
        #expect(error?.fieldPath == "items[1].value")
        #expect(error?.code == .invalidValue)
    }

    @Test("maps become objects with string, integer and bool keys as text")
    func maps() throws {
        let json =
            #"{"counts":{"a":1,"b":-2},"byId":{"-5":{"label":"x"},"9223372036854775807":{}},"flags":{"true":"t","false":"f"}}"#
        #expect(try codec.roundTrip(json) == json)
    }

    @Test("a key repeated on the wire keeps its last value")
    func duplicateWireKeys() throws {
        // counts {"a": 1}, counts {"a": 2}
        let bytes: [UInt8] = [0x9A, 0x01, 5, 0x0A, 1, 0x61, 0x10, 1, 0x9A, 0x01, 5, 0x0A, 1, 0x61, 0x10, 2]
        #expect(try codec.decode(bytes) == #"{"counts":{"a":2}}"#)
    }

    @Test(
        "bad map keys and values are invalidValue at the entry",
        arguments: [
            (#"{"byId": {"x": {}}}"#, #"byId["x"]"#), (#"{"byId": {"1.5": {}}}"#, #"byId["1.5"]"#),
            (#"{"flags": {"yes": "a"}}"#, #"flags["yes"]"#), (#"{"counts": {"a": "b"}}"#, #"counts["a"]"#),
            (#"{"byId": {"1": {"value": true}}}"#, #"byId["1"].value"#), (#"{"counts": [1]}"#, "counts"),
        ]
    )
    func badEntries(_ json: String, _ path: String) {
        let error = transcodingError { () throws(TranscodingError) in try codec.encode(json) }
        #expect(error?.code == .invalidValue)
        #expect(error?.fieldPath == path)
    }

    @Test("singular messages repeated on the wire merge; the last scalar wins")
    func mergeSemantics() throws {
        let first = try codec.encode(#"{"fInt32": 1, "nested": {"label": "a", "value": 1}}"#)
        let second = try codec.encode(#"{"fInt32": 2, "nested": {"value": 5}}"#)
        #expect(try codec.decode(first + second) == #"{"fInt32":2,"nested":{"label":"a","value":5}}"#)
    }

    @Test("unknown protobuf fields are skipped")
    func unknownWireFields() throws {
        // field 99 varint, field 100 length-delimited, field 101 group, then fInt32 = 3.
        let bytes: [UInt8] = [0x98, 0x06, 1, 0xA2, 0x06, 1, 0, 0xAB, 0x06, 0x08, 1, 0xAC, 0x06, 0x28, 3]
        #expect(try codec.decode(bytes) == #"{"fInt32":3}"#)
    }

    @Test("truncated protobuf is malformedProtobuf with the field path")
    func truncated() {
        let error = transcodingError { () throws(TranscodingError) in try codec.decode([0x8A, 0x01, 2, 0x12, 5]) }
        #expect(error?.code == .malformedProtobuf)
        #expect(error?.fieldPath == "nested")
    }
}
