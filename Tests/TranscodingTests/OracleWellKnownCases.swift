import Foundation
import SwiftProtobuf

private typealias T3 = ProtobufTestMessages_Proto3_TestAllTypesProto3

/// TestAllTypesProto3 messages whose well-known-type fields (wrappers, Duration, Timestamp,
/// FieldMask, Struct, Value, ListValue, Any, Empty) exercise their special JSON forms.
let wellKnownOracleCases: [OracleCase] = {
    // swift-protobuf needs the types an Any may hold registered to parse them from JSON.
    _ = Google_Protobuf_Any.register(messageType: T3.self)
    var cases: [OracleCase] = []
    func add(_ name: String, _ build: (inout T3) -> Void) {
        var message = T3()
        build(&message)
        cases.append(OracleCase(name: "WKT " + name, message: message))
    }
    add("wrappers with values") {
        $0.optionalBoolWrapper = .init(true)
        $0.optionalInt32Wrapper = .init(-5)
        $0.optionalInt64Wrapper = .init(.min)
        $0.optionalUint32Wrapper = .init(.max)
        $0.optionalUint64Wrapper = .init(.max)
        $0.optionalFloatWrapper = .init(1.5)
        $0.optionalDoubleWrapper = .init(-.infinity)
        $0.optionalStringWrapper = .init("wrapped")
        $0.optionalBytesWrapper = .init(Data([1, 2, 3]))
    }
    add("wrappers holding defaults") {
        $0.optionalBoolWrapper = .init(false)
        $0.optionalInt32Wrapper = .init(0)
        $0.optionalStringWrapper = .init("")
        $0.optionalDoubleWrapper = .init(0)
    }
    add("repeated wrappers") {
        $0.repeatedInt32Wrapper = [.init(1), .init(0), .init(-1)]
        $0.repeatedStringWrapper = [.init("a"), .init("")]
        $0.repeatedUint64Wrapper = [.init(.max)]
        $0.repeatedBytesWrapper = [.init(Data([0xFF]))]
    }
    add("timestamps") {
        $0.optionalTimestamp = .init(seconds: 1_700_000_000, nanos: 0)
        $0.repeatedTimestamp = [
            .init(seconds: 0, nanos: 1_000_000), .init(seconds: -1, nanos: 999_999_000),
            .init(seconds: 253_402_300_799, nanos: 999_999_999), .init(seconds: -62_135_596_800, nanos: 0),
            .init(seconds: 951_782_400, nanos: 10),  // 2000-02-29
        ]
    }
    add("durations") {
        $0.optionalDuration = .init(seconds: 1, nanos: 500_000_000)
        $0.repeatedDuration = [
            .init(seconds: 0, nanos: 0), .init(seconds: -1, nanos: -500_000_000), .init(seconds: 0, nanos: -1000),
            .init(seconds: 315_576_000_000, nanos: 999_999_999), .init(seconds: -315_576_000_000, nanos: 0),
        ]
    }
    add("field masks") {
        $0.optionalFieldMask = .init(protoPaths: ["foo_bar", "baz.qux_quux", "a"])
        $0.repeatedFieldmask = [.init(protoPaths: []), .init(protoPaths: ["x_y_z"])]
    }
    add("struct, value and list value") {
        $0.optionalStruct = .init(fields: [
            "null": .init(nilLiteral: ()), "number": .init(numberValue: 2.5), "string": .init(stringValue: "s"),
            "bool": .init(boolValue: true), "list": .init(listValue: [1, "two", nil, .init(listValue: [3])]),
            "nested": .init(structValue: .init(fields: ["deep": .init(numberValue: -1)])),
        ])
        $0.optionalValue = .init(listValue: [.init(structValue: .init()), .init(listValue: [])])
        $0.repeatedValue = [.init(nilLiteral: ()), .init(numberValue: 1e300), .init(stringValue: "")]
        $0.repeatedListValue = [.init(values: [.init(boolValue: false)]), .init()]
        $0.repeatedStruct = [.init(), .init(fields: ["k": .init(stringValue: "v")])]
    }
    add("null value and empty") {
        $0.optionalValue = .init(nilLiteral: ())
        $0.optionalNullValue = .nullValue
        $0.optionalEmpty = .init()
        $0.repeatedEmpty = [.init(), .init()]
    }
    add("any holding a message and well-known types") {
        var packed = T3()
        packed.optionalInt32 = 7
        packed.optionalTimestamp = .init(seconds: 1, nanos: 0)
        $0.optionalAny = try! Google_Protobuf_Any(message: packed)
        $0.repeatedAny = [
            try! Google_Protobuf_Any(message: Google_Protobuf_Duration(seconds: 3, nanos: 0)),
            try! Google_Protobuf_Any(message: Google_Protobuf_Empty()),
            try! Google_Protobuf_Any(message: Google_Protobuf_Int32Value(5)),
            try! Google_Protobuf_Any(message: Google_Protobuf_Value(stringValue: "v")),
            try! Google_Protobuf_Any(
                message: Google_Protobuf_Any(message: Google_Protobuf_FieldMask(protoPaths: ["a_b"]))
            ),
        ]
    }
    return cases
}()
