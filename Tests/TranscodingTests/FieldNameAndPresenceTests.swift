import Testing
import Transcoding

@Suite("Field names: both accepted, unknown rejected")
struct FieldNameTests {
    let codec = Codec()

    @Test("input accepts JSON names, proto names and json_name; output uses JSON names")
    func bothNames() throws {
        let json = try codec.roundTrip(#"{"f_int32": 1, "fString": "a", "customName": "r", "choice_text": "c"}"#)
        #expect(json == #"{"fInt32":1,"fString":"a","choiceText":"c","customName":"r"}"#)
        #expect(try codec.roundTrip(#"{"renamed": "r"}"#) == #"{"customName":"r"}"#)
    }

    @Test("useProtoNames writes the .proto names")
    func protoNames() throws {
        let proto = Codec(options: JSONCodecOptions(useProtoNames: true))
        #expect(
            try proto.roundTrip(#"{"fInt32": 1, "customName": "r", "nested": {"label": "x"}}"#)
                == #"{"f_int32":1,"nested":{"label":"x"},"renamed":"r"}"#
        )
    }

    @Test("the same field under both names is invalidValue")
    func duplicateUnderTwoNames() {
        let error = transcodingError { () throws(TranscodingError) in try codec.encode(#"{"fInt32": 1, "f_int32": 2}"#)
        }
        #expect(error?.code == .invalidValue)
        #expect(error?.fieldPath == "f_int32")
    }

    @Test("an unknown field is unknownField naming it and the message")
    func unknownField() {
        let error = transcodingError { () throws(TranscodingError) in
            try codec.encode(#"{"nested": {"label": "x", "foo": 1}}"#)
        }
        #expect(error?.code == .unknownField)
        #expect(error?.message == #"unknown field "foo" in demo.echo.v1.Everything.Nested"#)
        #expect(error?.fieldPath == "nested.foo")
        let root = transcodingError { () throws(TranscodingError) in try codec.encode(#"{"foo": 1}"#) }
        #expect(root?.message == #"unknown field "foo" in demo.echo.v1.Everything"#)
        #expect(root?.fieldPath == "foo")
    }

    @Test("ignoreUnknownFields skips unknown fields")
    func ignoreUnknown() throws {
        let lenient = Codec(options: JSONCodecOptions(ignoreUnknownFields: true))
        #expect(try lenient.roundTrip(#"{"foo": {"bar": [1]}, "fInt32": 3}"#) == #"{"fInt32":3}"#)
    }

    @Test("duplicate JSON keys are malformedJSON")
    func duplicateKeys() {
        let error = transcodingError { () throws(TranscodingError) in try codec.encode(#"{"fInt32": 1, "fInt32": 2}"#) }
        #expect(error?.code == .malformedJSON)
    }
}

@Suite("Presence: null, oneofs, optional, unpopulated fields")
struct PresenceTests {
    let codec = Codec()

    @Test("null means default for any field, but is an error inside arrays and maps and as the whole message")
    func null() throws {
        #expect(
            try codec.roundTrip(#"{"fInt32": null, "nested": null, "items": null, "counts": null, "fString": "a"}"#)
                == #"{"fString":"a"}"#
        )
        let inArray = transcodingError { () throws(TranscodingError) in try codec.encode(#"{"numbers": [1, null]}"#) }
        #expect(inArray?.code == .invalidValue)
        #expect(inArray?.fieldPath == "numbers[1]")
        let inMap = transcodingError { () throws(TranscodingError) in try codec.encode(#"{"counts": {"a": null}}"#) }
        #expect(inMap?.fieldPath == #"counts["a"]"#)
        let whole = transcodingError { () throws(TranscodingError) in try codec.encode("null") }
        #expect(whole?.code == .invalidValue)
        #expect(whole?.message.contains("got null") == true)
    }

    @Test("two members of one oneof are invalidValue; a null member does not count")
    func oneofConflict() throws {
        let error = transcodingError { () throws(TranscodingError) in
            try codec.encode(#"{"choiceText": "a", "choiceNumber": 1}"#)
        }
        #expect(error?.code == .invalidValue)
        #expect(error?.message.contains("choice") == true)
        #expect(try codec.roundTrip(#"{"choiceText": null, "choiceNumber": 1}"#) == #"{"choiceNumber":1}"#)
    }

    @Test("a set oneof member and a present optional are written even when zero")
    func presenceOfZero() throws {
        #expect(try codec.roundTrip(#"{"choiceNumber": 0, "maybe": 0}"#) == #"{"choiceNumber":0,"maybe":0}"#)
        #expect(try codec.roundTrip(#"{"choiceNested": {}}"#) == #"{"choiceNested":{}}"#)
        #expect(try codec.roundTrip(#"{"fInt32": 0, "fString": "", "numbers": []}"#) == "{}")
    }

    @Test("emitUnpopulated writes fields without presence; messages, oneofs and optional stay absent")
    func emitUnpopulated() throws {
        let all = Codec(options: JSONCodecOptions(emitUnpopulated: true))
        let json = try all.decode([])
        #expect(
            json
                == #"{"fDouble":0,"fFloat":0,"fInt64":"0","fUint64":"0","fInt32":0,"fFixed64":"0","fFixed32":0,"fBool":false,"fString":"","fBytes":"","fUint32":0,"fSfixed32":0,"fSfixed64":"0","fSint32":0,"fSint64":"0","color":"COLOR_UNSPECIFIED","items":[],"counts":{},"byId":{},"numbers":[],"tags":[],"colors":[],"customName":"","doubles":[],"flags":{}}"#
        )
        #expect(try all.roundTrip(#"{"maybe": 0, "nested": {}}"#).contains(#""nested":{"label":"","value":0},"#))
    }
}
