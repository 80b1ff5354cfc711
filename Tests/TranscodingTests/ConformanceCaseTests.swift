import NIOCore
import ProtoSchema
import SwiftProtobuf
import Testing
import Transcoding

/// The JSON cases protobuf's newer conformance suites added after v3.21 (the runner built
/// locally), one rule per case, on `TestAllTypesProto3`, `TestAllTypesProto2` and their Editions
/// variants (and `TestAllTypesEdition2023`) as the newer suites run them. Inputs are the suite's
/// own.
@Suite("Conformance cases newer than the local runner, on proto3, proto2 and Editions")
struct ConformanceCaseTests {
    static let all = [
        Fixtures.proto3, Fixtures.proto2, Fixtures.editionsProto3, Fixtures.editionsProto2, Fixtures.edition2023,
    ]

    static let parseErrorsCases: [String] = [
        #"{"optionalNestedEnum": "UNKNOWN_ENUM_VALUE"}"#,
        #"{"repeatedNestedEnum": ["UNKNOWN_ENUM_VALUE"]}"#,
        #"{"mapStringNestedEnum": {"key": "UNKNOWN_ENUM_VALUE"}}"#,
        #"{"optionalInt32": "12abc"}"#, #"{"optionalInt32": "abc"}"#, #"{"optionalInt32": ""}"#,
        #"{"optionalUint32": ""}"#, #"{"optionalInt64": ""}"#, #"{"optionalUint64": ""}"#,
        #"{"optionalFloat": ""}"#, #"{"optionalFloat": "12abc"}"#, #"{"optionalFloat": "abc"}"#,
        #"{"optionalDouble": ""}"#, #"{"optionalDouble": "12abc"}"#, #"{"optionalDouble": "abc"}"#,
        #"{"optionalNestedEnum": ["FOO"]}"#, #"{"optionalNestedEnum": [2]}"#,
        #"{"optionalNestedEnum": true}"#, #"{"optionalNestedEnum": false}"#,
        #"{"optionalInt32": true}"#, #"{"optionalInt32": false}"#,
        #"{"optionalInt32": "12 34"}"#, #"{"optionalInt32": "12,34"}"#, "{\"optionalInt32\": \"12谷歌34\"}",
        "{\"optionalInt32\": \"١٢٣\"}", "{\"optionalInt64\": \"１２３\"}",
        #"{"optionalUint64": "1e536870000"}"#,
        #"{"optionalFloat": true}"#, #"{"optionalFloat": false}"#, #"{"optionalFloat": "12 34"}"#,
        #"{"optionalFloat": "12,34"}"#, "{\"optionalFloat\": \"12谷歌34\"}",
        #"{"optionalDouble": true}"#, #"{"optionalDouble": false}"#,
        #"{"repeatedInt32": 1}"#, #"{"repeatedNestedMessage": {"a": 1}}"#,
        #"{"oneofString": "test", "oneofUint32": 1}"#,
        "null",
    ]

    @Test("rejected on every syntax", arguments: parseErrorsCases)
    func rejected(_ json: String) {
        for type in Self.all {
            let error = transcodingError { () throws(TranscodingError) in
                try Codec(pool: Fixtures.conformancePool).encode(json, as: type)
            }
            // Rejected for its value, not for naming a field the message lacks.
            #expect(error != nil && error?.code != .unknownField, "\(Fixtures.conformancePool[type].fullName)")
        }
    }

    static let acceptedCases: [(String, String)] = [
        (#"{"optionalInt32": "1e5"}"#, #"{"optionalInt32":100000}"#),
        (#"{"optionalFloat": "1.175494e-38"}"#, #"{"optionalFloat":1.175494e-38}"#),
        (#"{"optionalDouble": "2.22507e-308"}"#, #"{"optionalDouble":2.22507e-308}"#),
        (#"{"optionalString": "Hello\u0000world!"}"#, #"{"optionalString":"Hello\u0000world!"}"#),
        (#"{"optionalUint64": 18446744073709549568}"#, #"{"optionalUint64":"18446744073709549568"}"#),
    ]

    @Test("accepted on every syntax, written back as the mapping says", arguments: acceptedCases)
    func accepted(_ json: String, _ expected: String) throws {
        for type in Self.all {
            #expect(try Codec(pool: Fixtures.conformancePool).roundTrip(json, as: type) == expected)
        }
    }

    @Test("proto2 keeps explicitly set defaults; proto3 drops them")
    func storedDefaults() throws {
        let codec = Codec(pool: Fixtures.conformancePool)
        let json = #"{"optionalInt32": "0", "optionalString": "", "optionalNestedEnum": "FOO"}"#
        #expect(try codec.roundTrip(json, as: Fixtures.proto3) == "{}")
        #expect(
            try codec.roundTrip(json, as: Fixtures.proto2)
                == #"{"optionalInt32":0,"optionalString":"","optionalNestedEnum":"FOO"}"#
        )
    }

    static let ignoredUnknownEnumsCases: [(String, String)] = [
        (#"{"optionalNestedEnum": "UNKNOWN_ENUM_VALUE"}"#, "{}"),
        (#"{"repeatedNestedEnum": ["FOO", "UNKNOWN_ENUM_VALUE", "FOO"]}"#, #"{"repeatedNestedEnum":["FOO","FOO"]}"#),
        (
            #"{"mapStringNestedEnum": {"key1": "FOO", "key2": "UNKNOWN_ENUM_VALUE"}}"#,
            #"{"mapStringNestedEnum":{"key1":"FOO"}}"#
        ),
    ]

    @Test("with unknown fields ignored, unknown enum names drop the value", arguments: ignoredUnknownEnumsCases)
    func ignoredUnknownEnum(_ json: String, _ expected: String) throws {
        let codec = Codec(pool: Fixtures.conformancePool, options: JSONCodecOptions(ignoreUnknownFields: true))
        for type in Self.all {
            #expect(try codec.roundTrip(json, as: type) == expected)
        }
    }

    static let wellKnownAcceptedCases: [(String, String)] = [
        (#"{"optionalDuration": "-5s"}"#, #"{"optionalDuration":"-5s"}"#),
        (#"{"optionalDuration": "-0.5s"}"#, #"{"optionalDuration":"-0.500s"}"#),
        (#"{"optionalTimestamp": "1970-01-01T00:00:00.000Z"}"#, #"{"optionalTimestamp":"1970-01-01T00:00:00Z"}"#),
        (
            #"{"optionalTimestamp": "1970-01-01T00:00:00.000000001Z"}"#,
            #"{"optionalTimestamp":"1970-01-01T00:00:00.000000001Z"}"#
        ),
        (
            #"{"optionalTimestamp": "1969-12-31T23:59:58.999999999Z"}"#,
            #"{"optionalTimestamp":"1969-12-31T23:59:58.999999999Z"}"#
        ),
        (#"{"optionalTimestamp": "1969-12-31T23:59:49.500Z"}"#, #"{"optionalTimestamp":"1969-12-31T23:59:49.500Z"}"#),
        (#"{"optionalAny": {}}"#, #"{"optionalAny":{}}"#),
        (#"{"optionalAny": null}"#, "{}"),
        (
            #"{"optionalAny": {"@type": "type.googleapis.com/google.protobuf.Empty"}}"#,
            #"{"optionalAny":{"@type":"type.googleapis.com/google.protobuf.Empty"}}"#
        ),
        (nested("{\"optionalStruct\": ", 25), nestedOutput("{\"optionalStruct\":", 25)),
        (
            #"{"optionalValue": "# + String(repeating: "[", count: 25) + "1" + String(repeating: "]", count: 25) + "}",
            #"{"optionalValue":"# + String(repeating: "[", count: 25) + "1" + String(repeating: "]", count: 25) + "}"
        ),
    ]

    @Test("well-known type cases (proto3)", arguments: wellKnownAcceptedCases)
    func wellKnownAccepted(_ json: String, _ expected: String) throws {
        #expect(try Codec(pool: Fixtures.conformancePool).roundTrip(json, as: Fixtures.proto3) == expected)
    }

    static let wellKnownRejectedCases: [String] = [
        #"{"optionalTimestamp": "1970-01-01T08:00:01+0800"}"#,
        #"{"optionalTimestamp": "1970-13-01T00:00:00Z"}"#, #"{"optionalTimestamp": "1970-00-01T00:00:00Z"}"#,
        #"{"optionalTimestamp": "1970-01-32T00:00:00Z"}"#, #"{"optionalTimestamp": "1970-01-00T00:00:00Z"}"#,
        #"{"optionalTimestamp": "1970-01-01T24:00:00Z"}"#,
        #"{"optionalAny": {"@type": "", "value": ""}}"#,
        #"{"optionalAny": {"@type": "not_a_url", "value": ""}}"#,
        nested("{\"optionalStruct\": ", 200),
        nested("{\"optionalValue\": ", 200),
        #"{"optionalValue": "# + String(repeating: "[", count: 200) + "1" + String(repeating: "]", count: 200) + "}",
    ]

    @Test("well-known type cases rejected (proto3)", arguments: wellKnownRejectedCases)
    func wellKnownRejected(_ json: String) {
        let error = transcodingError { () throws(TranscodingError) in
            try Codec(pool: Fixtures.conformancePool).encode(json, as: Fixtures.proto3)
        }
        #expect(error != nil)
    }

    /// `<prefix>{"n": {"n": ... {"value": 1} ... }}` with `depth` levels of `"n"`.
    static func nested(_ prefix: String, _ depth: Int) -> String {
        prefix + "{" + String(repeating: "\"n\": {", count: depth) + "\"value\": 1"
            + String(repeating: "}", count: depth) + "}}"
    }

    static func nestedOutput(_ prefix: String, _ depth: Int) -> String {
        prefix + "{" + String(repeating: "\"n\":{", count: depth) + "\"value\":1" + String(repeating: "}", count: depth)
            + "}}"
    }
}

/// Binary-input conformance rules: what a parser makes of the wire bytes decides the JSON.
@Suite("Conformance cases from wire bytes")
struct ConformanceWireCaseTests {
    private typealias T2 = ProtobufTestMessages_Proto2_TestAllTypesProto2
    private typealias T3 = ProtobufTestMessages_Proto3_TestAllTypesProto3
    let codec = Codec(pool: Fixtures.conformancePool)

    @Test("of two oneof members on the wire, the last one wins, and only its occurrences since")
    func oneofLastMemberWins() throws {
        // oneof_uint32 = 111 (varint), oneof_string = 113, oneof_nested_message = 112.
        let uint32: [UInt8] = [0xF8, 0x06, 0x01]
        let string: [UInt8] = [0x8A, 0x07, 0x01, 0x78]
        let nestedA: [UInt8] = [0x82, 0x07, 0x02, 0x08, 0x05]
        let nestedCorecursive: [UInt8] = [0x82, 0x07, 0x04, 0x12, 0x02, 0x08, 0x07]
        for type in ConformanceCaseTests.all {
            #expect(try codec.decode(uint32 + string, as: type) == #"{"oneofString":"x"}"#)
            #expect(try codec.decode(string + uint32, as: type) == #"{"oneofUint32":1}"#)
            #expect(
                try codec.decode(nestedA + nestedCorecursive, as: type)
                    == #"{"oneofNestedMessage":{"a":5,"corecursive":{"optionalInt32":7}}}"#
            )
            #expect(
                try codec.decode(nestedA + string + nestedCorecursive, as: type)
                    == #"{"oneofNestedMessage":{"corecursive":{"optionalInt32":7}}}"#
            )
        }
    }

    @Test("Duration, Timestamp and Value wire values with no JSON form are invalidValue")
    func noJSONForm() throws {
        var messages: [T3] = []
        for (seconds, nanos) in [(1, -1), (-1, 1), (-1, -1_000_000_000), (1, 1_000_000_000)] as [(Int64, Int32)] {
            messages.append(
                .with {
                    $0.optionalDuration = .with {
                        $0.seconds = seconds
                        $0.nanos = nanos
                    }
                }
            )
        }
        for nanos: Int32 in [-1, 1_000_000_000] {
            messages.append(
                .with {
                    $0.optionalTimestamp = .with {
                        $0.seconds = 5000
                        $0.nanos = nanos
                    }
                }
            )
        }
        for number in [Double.nan, .infinity, -.infinity] {
            messages.append(.with { $0.optionalValue = .with { $0.numberValue = number } })
        }
        for message in messages {
            let bytes: [UInt8] = try message.serializedBytes()
            let error = transcodingError { () throws(TranscodingError) in try codec.decode(bytes, as: Fixtures.proto3) }
            #expect(error?.code == .invalidValue, "\(message)")
        }
    }

    @Test("proto2 extensions are JSON members named [full.name], both ways, as swift-protobuf has them")
    func extensions() throws {
        var message = T2()
        message.ProtobufTestMessages_Proto2_extensionInt32 = 42
        message.optionalInt32 = 1
        let bytes: [UInt8] = try message.serializedBytes()
        let json = #"{"optionalInt32":1,"[protobuf_test_messages.proto2.extension_int32]":42}"#
        #expect(try codec.decode(bytes, as: Fixtures.proto2) == json)
        let encoded = try codec.encode(json, as: Fixtures.proto2)
        let parsed = try T2(
            serializedBytes: encoded,
            extensions: ProtobufTestMessages_Proto2_TestMessagesProto2_Extensions
        )
        #expect(parsed == message)
        let withProtoNames = Codec(pool: Fixtures.conformancePool, options: JSONCodecOptions(useProtoNames: true))
        #expect(
            try withProtoNames.decode(bytes, as: Fixtures.proto2)
                == #"{"optional_int32":1,"[protobuf_test_messages.proto2.extension_int32]":42}"#
        )
        let unknown = transcodingError { () throws(TranscodingError) in
            try codec.encode(#"{"[protobuf_test_messages.proto2.no_such_extension]": 1}"#, as: Fixtures.proto2)
        }
        #expect(unknown?.code == .unknownField)
    }
}
