import Foundation
import NIOCore
import SwiftProtobuf
import Testing
import Transcoding

private typealias T3 = ProtobufTestMessages_Proto3_TestAllTypesProto3
private typealias T2 = ProtobufTestMessages_Proto2_TestAllTypesProto2

/// A named oracle input.
struct OracleCase: Sendable, CustomTestStringConvertible {
    var name: String
    var message: ProtobufTestMessages_Proto3_TestAllTypesProto3
    var testDescription: String { name }
}

/// Every oracle input: plain field kinds here, well-known types in OracleWellKnownCases.swift.
let oracleCases: [OracleCase] = plainOracleCases + wellKnownOracleCases

/// Messages covering every non-WKT field kind of TestAllTypesProto3.
let plainOracleCases: [OracleCase] = {
    var cases: [OracleCase] = []
    func add(_ name: String, _ build: (inout T3) -> Void) {
        var message = T3()
        build(&message)
        cases.append(OracleCase(name: name, message: message))
    }
    add("empty") { _ in }
    add("scalar maxima") {
        $0.optionalInt32 = .max
        $0.optionalInt64 = .max
        $0.optionalUint32 = .max
        $0.optionalUint64 = .max
        $0.optionalSint32 = .max
        $0.optionalSint64 = .max
        $0.optionalFixed32 = .max
        $0.optionalFixed64 = .max
        $0.optionalSfixed32 = .max
        $0.optionalSfixed64 = .max
        $0.optionalFloat = .greatestFiniteMagnitude
        $0.optionalDouble = .greatestFiniteMagnitude
        $0.optionalBool = true
    }
    add("scalar minima and negatives") {
        $0.optionalInt32 = .min
        $0.optionalInt64 = .min
        $0.optionalSint32 = .min
        $0.optionalSint64 = .min
        $0.optionalSfixed32 = .min
        $0.optionalSfixed64 = .min
        $0.optionalFloat = -.leastNonzeroMagnitude
        $0.optionalDouble = -.leastNonzeroMagnitude
    }
    add("small values") {
        $0.optionalInt32 = -1
        $0.optionalInt64 = -1
        $0.optionalUint32 = 1
        $0.optionalUint64 = 1
        $0.optionalSint32 = -1
        $0.optionalSint64 = 1
        $0.optionalFloat = 0.1
        $0.optionalDouble = 0.1
    }
    add("infinities") {
        $0.optionalFloat = .infinity
        $0.optionalDouble = -.infinity
        $0.repeatedFloat = [.infinity, -.infinity, 1.5]
        $0.repeatedDouble = [-.infinity, 1e300, 1e-300]
    }
    add("strings and bytes") {
        $0.optionalString = "héllo \"wörld\" \\ \n\t\r\u{0}\u{1F}\u{7F} 😀 \u{2028}"
        $0.optionalBytes = Data((0...255).map { UInt8($0) })
        $0.repeatedString = ["", "a", "ü"]
        $0.repeatedBytes = [Data(), Data([0xFF]), Data([1, 2]), Data([1, 2, 3])]
    }
    add("enums") {
        $0.optionalNestedEnum = .neg
        $0.optionalForeignEnum = .foreignBaz
        $0.optionalAliasedEnum = .aliasBaz
        $0.repeatedNestedEnum = [.foo, .bar, .UNRECOGNIZED(7), .neg]
        $0.packedNestedEnum = [.baz, .UNRECOGNIZED(-9)]
        $0.unpackedNestedEnum = [.bar, .UNRECOGNIZED(100)]
    }
    add("unknown enum value") { $0.optionalNestedEnum = .UNRECOGNIZED(42) }
    add("nested messages") {
        $0.optionalNestedMessage.a = 5
        $0.optionalNestedMessage.corecursive.optionalInt32 = -7
        $0.optionalNestedMessage.corecursive.optionalNestedMessage.corecursive.optionalString = "deep"
        $0.optionalForeignMessage.c = 0
        $0.recursiveMessage.optionalInt64 = 9
        $0.repeatedNestedMessage = [.init(), .with { $0.a = 1 }]
        $0.repeatedForeignMessage = [.with { $0.c = -3 }]
    }
    add("repeated packed and unpacked") {
        $0.repeatedInt32 = [0, -1, .min, .max]
        $0.repeatedInt64 = [0, -1, .min, .max]
        $0.repeatedUint32 = [0, .max]
        $0.repeatedUint64 = [0, .max]
        $0.repeatedSint32 = [-1, .min, .max]
        $0.repeatedSint64 = [-1, .min, .max]
        $0.repeatedFixed32 = [.max]
        $0.repeatedFixed64 = [.max]
        $0.repeatedSfixed32 = [.min]
        $0.repeatedSfixed64 = [.min]
        $0.repeatedBool = [true, false, true]
        $0.packedInt32 = [1, -2]
        $0.packedInt64 = [3, -4]
        $0.packedUint32 = [5]
        $0.packedUint64 = [6]
        $0.packedSint32 = [-7]
        $0.packedSint64 = [-8]
        $0.packedFixed32 = [9]
        $0.packedFixed64 = [10]
        $0.packedSfixed32 = [-11]
        $0.packedSfixed64 = [-12]
        $0.packedFloat = [1.25, -0.5]
        $0.packedDouble = [2.5e10]
        $0.packedBool = [false, true]
        $0.unpackedInt32 = [1, -2]
        $0.unpackedInt64 = [3, -4]
        $0.unpackedUint32 = [5]
        $0.unpackedUint64 = [.max]
        $0.unpackedSint32 = [-7]
        $0.unpackedSint64 = [.min]
        $0.unpackedFixed32 = [9]
        $0.unpackedFixed64 = [10]
        $0.unpackedSfixed32 = [-11]
        $0.unpackedSfixed64 = [-12]
        $0.unpackedFloat = [1.25, -0.5]
        $0.unpackedDouble = [2.5e10]
        $0.unpackedBool = [false, true]
    }
    add("maps of every key type") {
        $0.mapInt32Int32 = [-1: 1, 0: 0, .max: .min]
        $0.mapInt64Int64 = [.min: .max, 5: -5]
        $0.mapUint32Uint32 = [.max: 1]
        $0.mapUint64Uint64 = [.max: .max]
        $0.mapSint32Sint32 = [-2: -3]
        $0.mapSint64Sint64 = [-4: -5]
        $0.mapFixed32Fixed32 = [7: 8]
        $0.mapFixed64Fixed64 = [.max: 9]
        $0.mapSfixed32Sfixed32 = [-10: -11]
        $0.mapSfixed64Sfixed64 = [-12: -13]
        $0.mapInt32Float = [1: 0.1, 2: .infinity]
        $0.mapInt32Double = [1: 0.1, 2: -.infinity]
        $0.mapBoolBool = [true: false, false: true]
        $0.mapStringString = ["": "", "ключ": "значение", "a\"b": "c\\d"]
        $0.mapStringBytes = ["x": Data([0, 1, 2, 250])]
        $0.mapStringNestedMessage = ["m": .with { $0.a = 3 }, "empty": .init()]
        $0.mapStringForeignMessage = ["f": .with { $0.c = 4 }]
        $0.mapStringNestedEnum = ["e": .baz, "u": .UNRECOGNIZED(77)]
        $0.mapStringForeignEnum = ["g": .foreignBar]
    }
    for (name, value) in [
        ("oneof uint32 zero", T3.OneOf_OneofField.oneofUint32(0)),
        ("oneof nested message", .oneofNestedMessage(.init())),
        ("oneof string empty", .oneofString("")),
        ("oneof bytes", .oneofBytes(Data([9, 8]))),
        ("oneof bool false", .oneofBool(false)),
        ("oneof uint64 max", .oneofUint64(.max)),
        ("oneof float", .oneofFloat(-2.5)),
        ("oneof double zero", .oneofDouble(0)),
        ("oneof enum", .oneofEnum(.neg)),
        ("oneof null value", .oneofNullValue(.nullValue)),
    ] {
        add(name) { $0.oneofField = value }
    }
    add("field name styles") {
        $0.fieldname1 = 1
        $0.fieldName2 = 2
        $0.fieldName3 = 3
        $0.field0Name5 = 5
        $0.field0Name6 = 6
        $0.fieldName7 = 7
        $0.fieldName8 = 8
        $0.fieldName9 = 9
        $0.fieldName10 = 10
        $0.fieldName11 = 11
        $0.fieldName12 = 12
        $0.fieldName17__ = 17
        $0.fieldName18__ = 18
    }
    return cases
}()

@Suite("Oracle: swift-protobuf's JSON codec agrees with ours on TestAllTypesProto3")
struct OracleTests {
    private let codec = Codec(pool: Fixtures.conformancePool)

    @Test("protobuf -> JSON matches jsonString() and parses back", arguments: oracleCases)
    func response(_ sample: OracleCase) throws {
        let bytes: [UInt8] = try sample.message.serializedBytes()
        for options in [JSONCodecOptions(), JSONCodecOptions(useProtoNames: true, enumsAsInts: true)] {
            let ours = try Codec(pool: Fixtures.conformancePool, options: options).decode(bytes, as: Fixtures.proto3)
            var theirOptions = JSONEncodingOptions()
            theirOptions.preserveProtoFieldNames = options.useProtoNames
            theirOptions.alwaysPrintEnumsAsInts = options.enumsAsInts
            let theirs = try sample.message.jsonString(options: theirOptions)
            #expect(jsonObject(ours) != nil, "not valid JSON: \(ours)")
            #expect(jsonObject(ours) == jsonObject(theirs), "ours:   \(ours)\ntheirs: \(theirs)")
            #expect(try same(T3(jsonString: ours), sample.message))
        }
    }

    /// Message equality. swift-protobuf compares an `Any` by how it holds its payload (a parsed
    /// JSON object or bytes), so two equal messages can compare unequal; their serializations
    /// (deterministic, with the packed payload re-encoded) still decide.
    private func same(_ a: T3, _ b: T3) throws -> Bool {
        if a == b { return true }
        var options = BinaryEncodingOptions()
        options.useDeterministicOrdering = true
        let left: [UInt8] = try a.serializedBytes(options: options)
        let right: [UInt8] = try b.serializedBytes(options: options)
        return left == right
    }

    @Test("JSON -> protobuf matches init(jsonString:)", arguments: oracleCases)
    func request(_ sample: OracleCase) throws {
        var protoNames = JSONEncodingOptions()
        protoNames.preserveProtoFieldNames = true
        protoNames.alwaysPrintEnumsAsInts = true
        for json in [try sample.message.jsonString(), try sample.message.jsonString(options: protoNames)] {
            let ours = try codec.encode(json, as: Fixtures.proto3)
            #expect(try same(T3(serializedBytes: ours), T3(jsonString: json)), "\(json)")
        }
    }

    @Test("NaN both ways")
    func nan() throws {
        var message = T3()
        message.optionalFloat = .nan
        message.optionalDouble = .nan
        message.repeatedDouble = [.nan, 1]
        let ours = try codec.decode(try message.serializedBytes(), as: Fixtures.proto3)
        #expect(ours == #"{"optionalFloat":"NaN","optionalDouble":"NaN","repeatedDouble":["NaN",1]}"#)
        let back = try T3(serializedBytes: try codec.encode(ours, as: Fixtures.proto3))
        #expect(back.optionalFloat.isNaN && back.optionalDouble.isNaN && back.repeatedDouble[0].isNaN)
    }

    @Test(
        "alternative JSON input forms parse like swift-protobuf",
        arguments: [
            #"{"optionalInt32": "-5", "optionalInt64": 7, "optionalUint64": "18446744073709551615"}"#,
            #"{"optionalInt32": 1e2, "optionalUint32": 100.0, "optionalSint64": "-9223372036854775808"}"#,
            #"{"optionalFloat": "1.5", "optionalDouble": "-Infinity", "repeatedFloat": ["Infinity", 3, "-2.5e3"]}"#,
            #"{"optional_nested_enum": 2, "repeatedNestedEnum": ["BAR", 1, -1], "optionalAliasedEnum": "MOO"}"#,
            #"{"optionalBytes": "-_8", "repeatedBytes": ["AQ", "AQI=", "+/8="]}"#,
            #"{"oneofUint32": null, "oneofString": "x", "optionalString": null, "repeatedInt32": []}"#,
            #"{"mapInt32Int32": {"-1": 2}, "mapBoolBool": {"true": true}, "mapStringNestedEnum": {"a": 1}}"#,
            #"{"FieldName8": 8, "field_name2": 2, "Field_Name10": 10, "fieldName7": 7}"#,
            #"{"optionalNestedMessage": {}, "recursiveMessage": {"recursiveMessage": {"optionalBool": true}}}"#,
        ]
    )
    func alternativeInputs(_ json: String) throws {
        let ours = try codec.encode(json, as: Fixtures.proto3)
        #expect(try T3(serializedBytes: ours) == T3(jsonString: json))
    }

    @Test("proto2 groups and closed enums round-trip like swift-protobuf")
    func proto2Groups() throws {
        var message = T2()
        message.data.groupInt32 = -4
        message.data.groupUint32 = 5
        message.multiWordGroupField.groupInt32 = 1
        message.optionalNestedEnum = .baz
        message.optionalInt32 = 0
        let bytes: [UInt8] = try message.serializedBytes()
        let ours = try codec.decode(bytes, as: Fixtures.proto2)
        #expect(jsonObject(ours) == jsonObject(try message.jsonString()), "\(ours)")
        #expect(try T2(serializedBytes: try codec.encode(ours, as: Fixtures.proto2)) == message)
        let closed = transcodingError { () throws(TranscodingError) in
            try codec.encode(#"{"optionalNestedEnum": 7}"#, as: Fixtures.proto2)
        }
        #expect(closed?.code == .invalidValue)
    }
}
