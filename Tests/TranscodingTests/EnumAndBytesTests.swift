import Testing
import Transcoding

@Suite("Enums by name or number")
struct EnumMappingTests {
    let codec = Codec()

    @Test("input accepts names and numbers; output writes names")
    func namesAndNumbers() throws {
        #expect(
            try codec.roundTrip(#"{"color": "GREEN", "colors": ["RED", 3, "2"]}"#)
                == #"{"color":"GREEN","colors":["RED","BLUE","GREEN"]}"#
        )
        #expect(try codec.roundTrip(#"{"color": 1}"#) == #"{"color":"RED"}"#)
    }

    @Test("unknown numbers are kept and written as numbers")
    func unknownNumber() throws {
        #expect(try codec.roundTrip(#"{"color": 42, "colors": [7]}"#) == #"{"color":42,"colors":[7]}"#)
    }

    @Test("enumsAsInts writes numbers")
    func asInts() throws {
        let ints = Codec(options: JSONCodecOptions(enumsAsInts: true))
        #expect(try ints.roundTrip(#"{"color": "BLUE", "colors": ["RED"]}"#) == #"{"color":3,"colors":[1]}"#)
    }

    @Test("an unknown name is invalidValue naming the value, or skipped with ignoreUnknownFields")
    func unknownName() throws {
        let error = transcodingError { () throws(TranscodingError) in
            try codec.encode(#"{"colors": ["RED", "PURPLE"]}"#)
        }
        #expect(error?.code == .invalidValue)
        #expect(error?.fieldPath == "colors[1]")
        #expect(error?.message.contains("PURPLE") == true)
        let lenient = Codec(options: JSONCodecOptions(ignoreUnknownFields: true))
        #expect(
            try lenient.roundTrip(#"{"color": "PURPLE", "colors": ["PURPLE", "RED"], "fInt32": 1}"#)
                == #"{"fInt32":1,"colors":["RED"]}"#
        )
    }

    @Test("the zero value is omitted unless emitUnpopulated")
    func zeroValue() throws {
        #expect(try codec.roundTrip(#"{"color": "COLOR_UNSPECIFIED"}"#) == "{}")
    }
}

@Suite("Bytes as base64, strings as UTF-8")
struct BytesAndStringTests {
    let codec = Codec()

    @Test(
        "bytes accept standard and URL-safe base64, padded or not; output is standard and padded",
        arguments: ["+/+/", "-_-_", "+/8", "-_8=", "+/8="]
    )
    func base64Input(_ text: String) throws {
        let json = try codec.roundTrip(#"{"fBytes": "\#(text)"}"#)
        let expected = text.count == 4 && !text.hasSuffix("=") ? "+/+/" : "+/8="
        #expect(json == #"{"fBytes":"\#(expected)"}"#)
    }

    @Test("bytes round-trip every length and byte value")
    func base64Lengths() throws {
        for length in 0...5 {
            let bytes = (0..<length).map { UInt8(250 + $0 % 6) }
            var message: [UInt8] = [0x52, UInt8(length)]
            message += bytes
            let json = try codec.decode(message)
            let back = try codec.encode(json)
            #expect(back == (length == 0 ? [] : message), "\(json)")
        }
    }

    @Test("invalid base64 is invalidValue", arguments: ["A", "AB=C", "A===", "Zm9v!", "AB CD"])
    func badBase64(_ text: String) {
        let error = transcodingError { () throws(TranscodingError) in try codec.encode(#"{"fBytes": "\#(text)"}"#) }
        #expect(error?.code == .invalidValue)
        #expect(error?.fieldPath == "fBytes")
    }

    @Test("strings pass UTF-8 through and escape quotes, backslashes and control characters")
    func strings() throws {
        let json = try codec.roundTrip(#"{"fString": "ü \"q\" \\ \u0001\n\u0000 😀"}"#)
        #expect(json == #"{"fString":"ü \"q\" \\ \u0001\n\u0000 😀"}"#)
    }

    @Test("invalid UTF-8 in a string field is malformedProtobuf")
    func invalidUTF8() {
        let error = transcodingError { () throws(TranscodingError) in try codec.decode([0x4A, 2, 0xC3, 0x28]) }
        #expect(error?.code == .malformedProtobuf)
        #expect(error?.fieldPath == "fString")
    }
}

/// A backend's closed-enum field (proto2 `TestAllTypesProto2.NestedEnum`: FOO 0, BAR 1, BAZ 2,
/// NEG -1) holding a number the enum does not declare: a parser keeps it among the unknown
/// fields, so the JSON is what C++, upb and swift-protobuf write after parsing (found by
/// `FuzzProtobufResponse`: Fuzz/Regressions/FuzzProtobufResponse/).
@Suite("Closed enums' undeclared numbers stay unknown fields")
struct ClosedEnumUnknownNumberTests {
    let codec = Codec(pool: Fixtures.conformancePool)

    func json(_ bytes: [UInt8]) throws -> String {
        try codec.decode(bytes, as: Fixtures.proto2)
    }

    @Test("a singular field keeps the value it held, or stays absent")
    func singular() throws {
        // optional_nested_enum (21): BAR then 38.
        #expect(try json([0xA8, 0x01, 0x01, 0xA8, 0x01, 0x26]) == #"{"optionalNestedEnum":"BAR"}"#)
        #expect(try json([0xA8, 0x01, 0x26]) == "{}")
        // NEG (-1, ten bytes) is declared.
        let negative: [UInt8] = [0xA8, 0x01] + Array(repeating: 0xFF, count: 9) + [0x01]
        #expect(try json(negative) == #"{"optionalNestedEnum":"NEG"}"#)
    }

    @Test("a repeated field leaves the element out, packed or not")
    func repeated() throws {
        // unpacked_nested_enum (102): 1, 38, 2; packed_nested_enum (88): [1, 38, 2].
        #expect(
            try json([0xB0, 0x06, 0x01, 0xB0, 0x06, 0x26, 0xB0, 0x06, 0x02])
                == #"{"unpackedNestedEnum":["BAR","BAZ"]}"#
        )
        #expect(try json([0xC2, 0x05, 0x03, 0x01, 0x26, 0x02]) == #"{"packedNestedEnum":["BAR","BAZ"]}"#)
        #expect(try json([0xC2, 0x05, 0x01, 0x26]) == "{}")
        #expect(try json([0xC2, 0x05, 0x00]) == "{}")
    }

    @Test("a map entry goes whole; a oneof keeps its case")
    func mapAndOneof() throws {
        // map_string_nested_enum (73): "a" → 38, "b" → BAR, then "b" → 38 (the earlier "b" stays).
        let entries: [UInt8] = [
            0xCA, 0x04, 0x05, 0x0A, 0x01, 0x61, 0x10, 0x26,
            0xCA, 0x04, 0x05, 0x0A, 0x01, 0x62, 0x10, 0x01,
            0xCA, 0x04, 0x05, 0x0A, 0x01, 0x62, 0x10, 0x26,
        ]
        #expect(try json(entries) == #"{"mapStringNestedEnum":{"b":"BAR"}}"#)
        // Only such entries: no map at all, as a parser's empty map is not written.
        #expect(try json(Array(entries.prefix(8))) == "{}")
        // oneof_uint32 (111) = 7, then oneof_enum (119) = 38.
        #expect(try json([0xF8, 0x06, 0x07, 0xB8, 0x07, 0x26]) == #"{"oneofUint32":7}"#)
    }

    @Test("an open (proto3) enum still writes an undeclared number as a number")
    func openEnum() throws {
        // TestAllTypesProto3.optional_nested_enum (21) = 38.
        #expect(try codec.decode([0xA8, 0x01, 0x26], as: Fixtures.proto3) == #"{"optionalNestedEnum":38}"#)
    }
}
