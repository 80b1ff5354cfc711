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
