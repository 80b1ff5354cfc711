import NIOCore
import ProtoSchema
import Testing
import Transcoding

/// Well-known types' special JSON forms, one rule per case, in both directions, on
/// TestAllTypesProto3's WKT fields.
@Suite("Well-known types")
struct WellKnownTypeTests {
    let codec = Codec(pool: Fixtures.conformancePool)

    /// `{"<field>": <value>}` → wire → JSON, as the member's value.
    func normalized(_ field: String, _ value: String) throws(TranscodingError) -> String {
        let json = try codec.roundTrip("{\"\(field)\":\(value)}", as: Fixtures.proto3)
        let prefix = "{\"\(field)\":"
        guard json.hasPrefix(prefix), json.hasSuffix("}") else { return json }
        return String(json.dropFirst(prefix.count).dropLast())
    }

    @Test(
        "Timestamp: any offset in, Z out, 0/3/6/9 fractional digits",
        arguments: [
            (#""1970-01-01T00:00:00Z""#, #""1970-01-01T00:00:00Z""#),
            (#""2024-01-01T01:00:00+01:00""#, #""2024-01-01T00:00:00Z""#),
            (#""2023-12-31T19:30:00-04:30""#, #""2024-01-01T00:00:00Z""#),
            (#""2024-02-29T12:00:00.5Z""#, #""2024-02-29T12:00:00.500Z""#),
            (#""2024-02-29T12:00:00.123456Z""#, #""2024-02-29T12:00:00.123456Z""#),
            (#""2024-02-29T12:00:00.000000001Z""#, #""2024-02-29T12:00:00.000000001Z""#),
            (#""2024-02-29T12:00:00.120000Z""#, #""2024-02-29T12:00:00.120Z""#),
            (#""0001-01-01T00:00:00Z""#, #""0001-01-01T00:00:00Z""#),
            (#""9999-12-31T23:59:59.999999999Z""#, #""9999-12-31T23:59:59.999999999Z""#),
            (#""1969-12-31T23:59:59.999Z""#, #""1969-12-31T23:59:59.999Z""#),
        ]
    )
    func timestamps(_ input: String, _ output: String) throws {
        #expect(try normalized("optionalTimestamp", input) == output)
    }

    @Test(
        "Timestamp: malformed or out of range is a 400",
        arguments: [
            #""2024-01-01 00:00:00Z""#, #""2024-01-01t00:00:00Z""#, #""2024-01-01T00:00:00z""#,
            #""2024-01-01T00:00:00""#, #""2024-02-30T00:00:00Z""#, #""2023-02-29T00:00:00Z""#,
            #""2024-01-01T24:00:00Z""#, #""2024-01-01T00:60:00Z""#, #""2024-01-01T00:00:60Z""#,
            #""2024-13-01T00:00:00Z""#, #""0000-12-31T23:59:59Z""#, #""10000-01-01T00:00:00Z""#,
            #""0001-01-01T00:00:00+00:01""#, #""2024-01-01T00:00:00.Z""#, #""2024-01-01T00:00:00.1234567890Z""#,
            #""2024-01-01T00:00:00+0100""#, "1", "{}",
        ]
    )
    func badTimestamps(_ input: String) {
        let error = transcodingError { () throws(TranscodingError) in try normalized("optionalTimestamp", input) }
        #expect(error?.code == .invalidValue)
        #expect(error?.fieldPath == "optionalTimestamp")
    }

    @Test(
        "Duration: seconds with 0/3/6/9 decimals and a sign",
        arguments: [
            (#""1.5s""#, #""1.500s""#), (#""0s""#, #""0s""#), (#""-0.5s""#, #""-0.500s""#),
            (#""-1.000001s""#, #""-1.000001s""#), (#""0.000000001s""#, #""0.000000001s""#),
            (#""315576000000s""#, #""315576000000s""#),
            (#""-315576000000.999999999s""#, #""-315576000000.999999999s""#),
            (#""10.10s""#, #""10.100s""#),
        ]
    )
    func durations(_ input: String, _ output: String) throws {
        #expect(try normalized("optionalDuration", input) == output)
    }

    @Test(
        "Duration: malformed or out of range is a 400",
        arguments: [
            #""1""#, #""1.5""#, #""s""#, #"".5s""#, #""1.s""#, #""+1s""#, #""1.0000000001s""#, #""315576000001s""#,
            #""1 s""#, #""1S""#, #""--1s""#, #""1e3s""#, "1.5",
        ]
    )
    func badDurations(_ input: String) {
        let error = transcodingError { () throws(TranscodingError) in try normalized("optionalDuration", input) }
        #expect(error?.code == .invalidValue)
    }

    @Test("FieldMask: comma-separated lowerCamelCase paths both ways")
    func fieldMasks() throws {
        #expect(try normalized("optionalFieldMask", #""fooBar,baz.quxQuux,a""#) == #""fooBar,baz.quxQuux,a""#)
        #expect(try normalized("optionalFieldMask", #""""#) == #""""#)
        // On the wire the paths are snake_case.
        let wire = try codec.encode(#"{"optionalFieldMask": "fooBar"}"#, as: Fixtures.proto3)
        #expect(String(decoding: wire, as: UTF8.self).contains("foo_bar"))
        let underscore = transcodingError { () throws(TranscodingError) in
            try normalized("optionalFieldMask", #""foo_bar""#)
        }
        #expect(underscore?.code == .invalidValue)
    }

    /// A backend's mask whose path JSON cannot carry: `,` separates paths, an empty one vanishes
    /// (found by `FuzzProtobufResponse`: the JSON did not come back the same).
    @Test("FieldMask: a backend's path with a comma, an empty path or invalid UTF-8 is refused")
    func unwritableFieldMasks() {
        // optional_field_mask (303): FieldMask { paths: <path> }.
        func mask(_ path: [UInt8]) -> [UInt8] {
            let inner: [UInt8] = [0x0A, UInt8(path.count)] + path
            return [0xFA, 0x12, UInt8(inner.count)] + inner
        }
        for (path, code) in [
            (Array("a,b".utf8), TranscodingError.Code.invalidValue), ([], .invalidValue),
            ([0x66, 0xFF], .malformedProtobuf),
        ] {
            let error = transcodingError { () throws(TranscodingError) in
                _ = try codec.decode(mask(path), as: Fixtures.proto3)
            }
            #expect(error?.code == code, "path \(path)")
        }
    }

    @Test("wrappers are bare values; null leaves the field unset")
    func wrappers() throws {
        #expect(try normalized("optionalInt64Wrapper", #""-9""#) == #""-9""#)
        #expect(try normalized("optionalInt64Wrapper", "-9") == #""-9""#)
        #expect(try normalized("optionalBoolWrapper", "false") == "false")
        #expect(try normalized("optionalStringWrapper", #""""#) == #""""#)
        #expect(try normalized("optionalBytesWrapper", #""AQI=""#) == #""AQI=""#)
        #expect(try normalized("optionalDoubleWrapper", #""NaN""#) == #""NaN""#)
        #expect(try codec.roundTrip(#"{"optionalInt32Wrapper": null}"#, as: Fixtures.proto3) == "{}")
        let wrongType = transcodingError { () throws(TranscodingError) in try normalized("optionalBoolWrapper", "1") }
        #expect(wrongType?.code == .invalidValue)
    }

    @Test("Struct, Value and ListValue carry any JSON, null included")
    func structs() throws {
        let document = #"{"a":null,"b":[1,"x",true,{"c":[]}],"d":{"e":-2.5}}"#
        #expect(jsonObject(try normalized("optionalStruct", document)) == jsonObject(document))
        #expect(try normalized("optionalValue", "null") == "null")
        #expect(try normalized("optionalValue", #"[null,[],{}]"#) == #"[null,[],{}]"#)
        #expect(try normalized("repeatedValue", #"[null,1,"s"]"#) == #"[null,1,"s"]"#)
        #expect(try normalized("repeatedListValue", #"[[],[null]]"#) == #"[[],[null]]"#)
        // NullValue's only value is its default, so a singular field holding it is not written.
        #expect(try codec.roundTrip(#"{"optionalNullValue": null}"#, as: Fixtures.proto3) == "{}")
        #expect(try codec.encode(#"{"optionalNullValue": null}"#, as: Fixtures.proto3).count == 3)
        let notAnObject = transcodingError { () throws(TranscodingError) in try normalized("optionalStruct", "[]") }
        #expect(notAnObject?.code == .invalidValue)
    }

    @Test("Any: @type resolved in the pool, WKTs under \"value\", unknown types rejected")
    func anys() throws {
        let message =
            #"{"@type":"type.googleapis.com/protobuf_test_messages.proto3.TestAllTypesProto3","optionalInt32":5}"#
        #expect(jsonObject(try normalized("optionalAny", message)) == jsonObject(message))
        let wkt = #"{"@type":"type.googleapis.com/google.protobuf.Duration","value":"1.500s"}"#
        #expect(jsonObject(try normalized("optionalAny", wkt)) == jsonObject(wkt))
        let empty = #"{"@type":"type.googleapis.com/google.protobuf.Empty","value":{}}"#
        #expect(try normalized("optionalAny", empty) == #"{"@type":"type.googleapis.com/google.protobuf.Empty"}"#)
        #expect(try normalized("optionalAny", "{}") == "{}")
        for bad in [
            #"{"@type":"type.googleapis.com/no.such.Type"}"#, #"{"optionalInt32":5}"#,
            #"{"@type":"type.googleapis.com/google.protobuf.Duration"}"#,
            #"{"@type":"type.googleapis.com/google.protobuf.Duration","value":"1s","extra":1}"#,
            #"{"@type":"type.googleapis.com/protobuf_test_messages.proto3.TestAllTypesProto3","nope":1}"#,
        ] {
            let error = transcodingError { () throws(TranscodingError) in try normalized("optionalAny", bad) }
            #expect(error != nil, "\(bad)")
        }
    }

    @Test("path and query values set Timestamp, Duration, FieldMask and wrapper fields")
    func bindings() throws {
        let bytes = try codec.bind(
            [
                ("optional_timestamp", "2024-01-01T01:00:00+01:00"), ("optional_duration", "-1.5s"),
                ("optional_field_mask", "fooBar,baz"), ("optional_int32_wrapper", "-7"),
                ("optional_string_wrapper", "hi"), ("optional_bool_wrapper", "false"),
                ("recursive_message.optional_duration", "2s"),
            ],
            as: Fixtures.proto3
        )
        let json = try codec.decode(bytes, as: Fixtures.proto3)
        let expected = #"""
            {"optionalBoolWrapper":false,"optionalInt32Wrapper":-7,"optionalStringWrapper":"hi",
            "optionalDuration":"-1.500s","optionalTimestamp":"2024-01-01T00:00:00Z","optionalFieldMask":"fooBar,baz",
            "recursiveMessage":{"optionalDuration":"2s"}}
            """#
        #expect(jsonObject(json) == jsonObject(expected), "\(json)")
        let bad = transcodingError { () throws(TranscodingError) in
            try codec.bind([("recursive_message.optional_timestamp", "yesterday")], as: Fixtures.proto3)
        }
        #expect(bad?.code == .invalidValue)
        #expect(bad?.fieldPath == "recursive_message.optional_timestamp")
    }

    @Test("out-of-range wire values are well-formed protobuf with no JSON form: invalidValue")
    func unwritableWireValues() {
        // Timestamp.seconds = 253402300800 (year 10000); Duration with mixed signs.
        var timestamp = ByteBuffer()
        timestamp.writeBytes([0x08] + varint(253_402_300_800))
        var duration = ByteBuffer()
        duration.writeBytes([0x08, 0x01, 0x10] + varint(UInt64(bitPattern: -1)))
        let pool = Fixtures.conformancePool
        for (bytes, name) in [(timestamp, "google.protobuf.Timestamp"), (duration, "google.protobuf.Duration")] {
            let error = transcodingError { () throws(TranscodingError) in
                try Codec(pool: pool).decode(Array(bytes.readableBytesView), as: pool.messageID(named: name)!)
            }
            #expect(error?.code == .invalidValue, "\(name)")
        }
    }

    private func varint(_ value: UInt64) -> [UInt8] {
        var bytes: [UInt8] = []
        var rest = value
        while rest >= 0x80 {
            bytes.append(UInt8(rest & 0x7F) | 0x80)
            rest >>= 7
        }
        return bytes + [UInt8(rest)]
    }
}

@Suite("PATCH update masks from the body")
struct UpdateMaskPathTests {
    @Test("paths by proto name; descends only into singular, non-WKT message objects")
    func paths() throws {
        let transcoder = RequestTranscoder(
            pool: Fixtures.demoPool,
            options: JSONCodecOptions(ignoreUnknownFields: true)
        )
        let body = #"""
            {"customName":"r","nested":{"label":"x","child":{"value":1}},"items":[{"label":"a"}],
             "counts":{"k":1},"at":"2024-01-01T00:00:00Z","meta":{"a":1},"byId":{},"nope":1,"fInt64":"1"}
            """#
        let paths = try transcoder.fieldMaskPaths(json: ByteBuffer(string: body), as: Fixtures.everything)
        #expect(
            paths == [
                "renamed", "nested.label", "nested.child.value", "items", "counts", "at", "meta", "by_id", "f_int64",
            ]
        )
    }
}
