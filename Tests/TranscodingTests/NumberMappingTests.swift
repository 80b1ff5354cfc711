import Testing
import Transcoding

@Suite("Numbers: 64-bit as strings, integral checks, ranges, floats")
struct NumberMappingTests {
    let codec = Codec()

    @Test("64-bit integers are written as strings, 32-bit as numbers")
    func sixtyFourBitAsStrings() throws {
        let json = try codec.roundTrip(
            #"{"fInt64": -5, "fUint64": "18446744073709551615", "fFixed64": 7, "fSfixed64": "-8", "fSint64": 9, "fInt32": -1, "fUint32": 4294967295}"#
        )
        #expect(
            json
                == #"{"fInt64":"-5","fUint64":"18446744073709551615","fInt32":-1,"fFixed64":"7","fUint32":4294967295,"fSfixed64":"-8","fSint64":"9"}"#
        )
    }

    @Test("integers accept numeric strings and integral exponent forms")
    func integralForms() throws {
        #expect(try codec.roundTrip(#"{"fInt32": "1e2"}"#) == #"{"fInt32":100}"#)
        #expect(try codec.roundTrip(#"{"fInt32": 1e2}"#) == #"{"fInt32":100}"#)
        #expect(try codec.roundTrip(#"{"fInt32": 100.0}"#) == #"{"fInt32":100}"#)
        #expect(try codec.roundTrip(#"{"fSint32": "-2147483648"}"#) == #"{"fSint32":-2147483648}"#)
        #expect(try codec.roundTrip(#"{"fInt64": "9223372036854775807"}"#) == #"{"fInt64":"9223372036854775807"}"#)
        #expect(try codec.roundTrip(#"{"fInt64": -9223372036854775808}"#) == #"{"fInt64":"-9223372036854775808"}"#)
    }

    @Test(
        "fractional, out-of-range and malformed integers are invalidValue",
        arguments: [
            #"{"fInt32": 1.5}"#, #"{"fInt32": "1.5"}"#, #"{"fInt32": 2147483648}"#, #"{"fInt32": "-2147483649"}"#,
            #"{"fUint32": -1}"#, #"{"fUint64": "-1"}"#, #"{"fUint64": "18446744073709551616"}"#,
            #"{"fInt64": "9223372036854775808"}"#, #"{"fInt32": " 1"}"#, #"{"fInt32": "01"}"#, #"{"fInt32": "0x10"}"#,
            #"{"fInt32": true}"#, #"{"fInt32": "abc"}"#, #"{"fFixed32": 1e10}"#,
        ]
    )
    func badIntegers(_ json: String) {
        let error = transcodingError { () throws(TranscodingError) in try codec.encode(json) }
        #expect(error?.code == .invalidValue)
        #expect(error?.fieldPath.hasPrefix("f") == true, "\(String(describing: error))")
    }

    @Test(
        "a bare integer beyond Int64 (which jansson cannot hold) is read exactly where the field allows it",
        arguments: [
            (#"{"fUint64": 18446744073709551615}"#, #"{"fUint64":"18446744073709551615"}"#),
            (#"{"fFixed64": 9223372036854775808}"#, #"{"fFixed64":"9223372036854775808"}"#),
            (#"{"fDouble": 100000000000000000000, "fString": "x"}"#, #"{"fDouble":1e+20,"fString":"x"}"#),
            (#"{"fDouble": -100000000000000000000}"#, #"{"fDouble":-1e+20}"#),
            (#"{"fUint64": "18446744073709551615"}"#, #"{"fUint64":"18446744073709551615"}"#),
            // A string that starts with NULs is only a string when no rewrite happened.
            (#"{"fString": "\u0000\u00001234"}"#, #"{"fString":"\u0000\u00001234"}"#),
        ]
    )
    func bareIntegersBeyondInt64(_ json: String, _ expected: String) throws {
        #expect(try codec.roundTrip(json) == expected)
    }

    @Test(
        "a bare integer beyond Int64 where it does not fit is invalidValue, or malformedJSON when the document already uses the marker",
        arguments: [
            (#"{"fUint64": 18446744073709551616}"#, TranscodingError.Code.invalidValue, "fUint64"),
            (#"{"fInt64": 9223372036854775808}"#, .invalidValue, "fInt64"),
            (#"{"fInt64": -9223372036854775809}"#, .invalidValue, "fInt64"),
            (#"{"fString": 18446744073709551615}"#, .invalidValue, "fString"),
            (#"{"fUint64": 18446744073709551615, "fString": "\u0000\u0000"}"#, .malformedJSON, ""),
        ]
    )
    func bareIntegersBeyondInt64Rejected(_ json: String, _ code: TranscodingError.Code, _ path: String) {
        let error = transcodingError { () throws(TranscodingError) in try codec.encode(json) }
        #expect(error?.code == code, "\(String(describing: error))")
        #expect(error?.fieldPath == path)
    }

    @Test("int64AsNumbers writes 64-bit integers bare, defaults included; map keys stay strings")
    func int64AsNumbers() throws {
        let bare = Codec(options: JSONCodecOptions(int64AsNumbers: true))
        #expect(
            try bare.roundTrip(#"{"fInt64": "-9223372036854775808", "fUint64": "18446744073709551615", "fFixed64": 1}"#)
                == #"{"fInt64":-9223372036854775808,"fUint64":18446744073709551615,"fFixed64":1}"#
        )
        let pool = Fixtures.conformancePool
        let maps = Codec(pool: pool, options: JSONCodecOptions(int64AsNumbers: true))
        #expect(
            try maps.roundTrip(#"{"mapInt64Int64": {"-5": "7"}, "repeatedSint64": ["1", 2]}"#, as: Fixtures.proto3)
                == #"{"repeatedSint64":[1,2],"mapInt64Int64":{"-5":7}}"#
        )
        let unpopulated = Codec(options: JSONCodecOptions(emitUnpopulated: true, int64AsNumbers: true))
        #expect(try unpopulated.roundTrip("{}").contains(#""fInt64":0,"#))
        // The default stays the spec's string form.
        #expect(try codec.roundTrip(#"{"fInt64": 5}"#) == #"{"fInt64":"5"}"#)
    }

    @Test("floats keep their own shortest form; doubles round-trip; integral values have no .0")
    func floatText() throws {
        #expect(try codec.roundTrip(#"{"fFloat": 0.1, "fDouble": 0.1}"#) == #"{"fDouble":0.1,"fFloat":0.1}"#)
        #expect(try codec.roundTrip(#"{"fFloat": 3, "fDouble": -100}"#) == #"{"fDouble":-100,"fFloat":3}"#)
        #expect(try codec.roundTrip(#"{"fDouble": 1e300}"#) == #"{"fDouble":1e+300}"#)
        #expect(try codec.roundTrip(#"{"fDouble": "2.5"}"#) == #"{"fDouble":2.5}"#)
    }

    @Test("NaN and infinities are strings both ways")
    func nonFinite() throws {
        let json = #"{"fDouble":"NaN","fFloat":"-Infinity","doubles":["Infinity","-Infinity","NaN",1.5]}"#
        #expect(try codec.roundTrip(json) == json)
    }

    @Test(
        "floats out of range and bad float text are invalidValue",
        arguments: [
            #"{"fFloat": 3.5e38}"#, #"{"fFloat": "-1e39"}"#, #"{"fDouble": "1e400"}"#, #"{"fDouble": "nan"}"#,
            #"{"fDouble": "inf"}"#, #"{"fDouble": ".5"}"#,
        ]
    )
    func badFloats(_ json: String) {
        let error = transcodingError { () throws(TranscodingError) in try codec.encode(json) }
        #expect(error?.code == .invalidValue)
    }

    @Test("bool accepts only true and false")
    func strictBool() throws {
        #expect(try codec.roundTrip(#"{"fBool": true}"#) == #"{"fBool":true}"#)
        for json in [#"{"fBool": "true"}"#, #"{"fBool": 1}"#] {
            let error = transcodingError { () throws(TranscodingError) in try codec.encode(json) }
            #expect(error?.code == .invalidValue)
            #expect(error?.fieldPath == "fBool")
        }
    }
}
