import Foundation
import NIOCore
import ProtoSchema
import SwiftProtobuf
import Testing
import Transcoding

private typealias E23 = RandomE2023
private typealias E3 = ProtobufTestMessages_Editions_Proto3_TestAllTypesProto3
private typealias E2 = ProtobufTestMessages_Editions_Proto2_TestAllTypesProto2

/// One field set, the JSON → protobuf result compared byte for byte with swift-protobuf's
/// serialization (which follows the same features), so packed against expanded, group against
/// length-prefixed, and a written or omitted default all show.
struct WireFormCase: Sendable, CustomTestStringConvertible {
    var name: String
    var type: MessageID
    var json: String
    var bytes: [UInt8]
    var testDescription: String { name }
}

@Suite("Editions wire form: features decide the bytes our JSON -> protobuf writes")
struct EditionsWireFormTests {
    static func wireCase(_ name: String, _ message: some SwiftProtobuf.Message, _ type: MessageID) -> WireFormCase {
        WireFormCase(
            name: name,
            type: type,
            json: Edition2023OracleTests.fieldNamed(try! message.jsonString()),
            bytes: try! message.serializedBytes()
        )
    }

    static let cases: [WireFormCase] = [
        wireCase(
            "2023: group-like DELIMITED field",
            E23.with { $0.groupLikeType.groupInt32 = 5 },
            Fixtures.edition2023
        ),
        wireCase("2023: DELIMITED field", E23.with { $0.delimitedField.groupUint32 = 7 }, Fixtures.edition2023),
        wireCase("2023: LENGTH_PREFIXED override", E23.with { $0.optionalNestedMessage.a = 1 }, Fixtures.edition2023),
        wireCase(
            "2023: DELIMITED extension",
            E23.with { $0.ProtobufTestMessages_Editions_groupLikeType.c = 3 },
            Fixtures.edition2023
        ),
        wireCase(
            "2023: map entry stays length-prefixed",
            E23.with { $0.mapRecursive = [4: .with { $0.optionalInt32 = 1 }] },
            Fixtures.edition2023
        ),
        wireCase("2023: packed by default", E23.with { $0.repeatedInt32 = [1, -1, 300] }, Fixtures.edition2023),
        wireCase("2023: EXPANDED override", E23.with { $0.unpackedInt32 = [1, -1, 300] }, Fixtures.edition2023),
        wireCase("2023: explicit presence keeps a zero", E23.with { $0.optionalInt32 = 0 }, Fixtures.edition2023),
        wireCase("2023: explicit presence keeps \"\"", E23.with { $0.optionalString = "" }, Fixtures.edition2023),
        wireCase("2023: open enum", E23.with { $0.optionalNestedEnum = .UNRECOGNIZED(9) }, Fixtures.edition2023),
        wireCase("proto2 twin: DELIMITED group", E2.with { $0.data.groupInt32 = 5 }, Fixtures.editionsProto2),
        wireCase(
            "proto2 twin: DELIMITED extension",
            E2.with { $0.ProtobufTestMessages_Editions_Proto2_groupField.groupInt32 = 2 },
            Fixtures.editionsProto2
        ),
        wireCase("proto2 twin: EXPANDED file default", E2.with { $0.repeatedInt32 = [1, 2] }, Fixtures.editionsProto2),
        wireCase("proto2 twin: PACKED override", E2.with { $0.packedInt32 = [1, 2] }, Fixtures.editionsProto2),
        wireCase(
            "proto2 twin: explicit presence keeps a zero",
            E2.with { $0.optionalInt32 = 0 },
            Fixtures.editionsProto2
        ),
        wireCase("proto3 twin: packed by default", E3.with { $0.repeatedInt32 = [1, 2] }, Fixtures.editionsProto3),
        wireCase("proto3 twin: EXPANDED override", E3.with { $0.unpackedInt32 = [1, 2] }, Fixtures.editionsProto3),
    ]

    @Test("swift-protobuf's bytes, from swift-protobuf's JSON", arguments: cases)
    func sameBytes(_ sample: WireFormCase) throws {
        let ours = try Codec(pool: Fixtures.conformancePool).encode(sample.json, as: sample.type)
        #expect(ours == sample.bytes, "\(sample.json)")
        #expect(try Codec(pool: Fixtures.conformancePool).decode(sample.bytes, as: sample.type) == sample.json)
    }

    @Test("the forms themselves: start/end group tags for field 201, one packed record, one record per value")
    func knownBytes() throws {
        let codec = Codec(pool: Fixtures.conformancePool)
        // Field 201, wire type 3 (start group) = 0xCB 0x0C; group_int32 (202) = 5; end group 0xCC 0x0C.
        #expect(
            try codec.encode(#"{"groupliketype": {"groupInt32": 5}}"#, as: Fixtures.edition2023)
                == [0xCB, 0x0C, 0xD0, 0x0C, 0x05, 0xCC, 0x0C]
        )
        // The group's type name is read too, for the group-like field only.
        #expect(
            try codec.encode(#"{"GroupLikeType": {"groupInt32": 5}}"#, as: Fixtures.edition2023)
                == [0xCB, 0x0C, 0xD0, 0x0C, 0x05, 0xCC, 0x0C]
        )
        #expect(
            try codec.encode(#"{"repeatedInt32": [1, 2]}"#, as: Fixtures.edition2023) == [0xFA, 0x01, 0x02, 0x01, 0x02]
        )
        #expect(
            try codec.encode(#"{"repeatedInt32": [1, 2]}"#, as: Fixtures.editionsProto2) == [
                0xF8, 0x01, 0x01, 0xF8, 0x01, 0x02,
            ]
        )
        #expect(try codec.encode(#"{"optionalInt32": 0}"#, as: Fixtures.edition2023) == [0x08, 0x00])
    }

    @Test("presence: explicit (2023, proto2 twin) keeps set defaults, implicit (proto3 twin) drops them")
    func presence() throws {
        let codec = Codec(pool: Fixtures.conformancePool)
        let json = #"{"optionalInt32": "0", "optionalString": "", "optionalNestedEnum": "FOO"}"#
        let kept = #"{"optionalInt32":0,"optionalString":"","optionalNestedEnum":"FOO"}"#
        #expect(try codec.roundTrip(json, as: Fixtures.editionsProto3) == "{}")
        #expect(try codec.roundTrip(json, as: Fixtures.editionsProto2) == kept)
        #expect(try codec.roundTrip(json, as: Fixtures.edition2023) == kept)
    }

    @Test("enum_type: CLOSED in the proto2 twin rejects undeclared numbers; OPEN (2023, proto3 twin) keeps them")
    func closedAndOpenEnums() throws {
        let codec = Codec(pool: Fixtures.conformancePool)
        let json = #"{"optionalNestedEnum": 7}"#
        for type in [Fixtures.editionsProto2, Fixtures.proto2] {
            let closed = transcodingError { () throws(TranscodingError) in try codec.encode(json, as: type) }
            #expect(closed?.code == .invalidValue)
        }
        #expect(try codec.roundTrip(json, as: Fixtures.edition2023) == #"{"optionalNestedEnum":7}"#)
        #expect(try codec.roundTrip(json, as: Fixtures.editionsProto3) == #"{"optionalNestedEnum":7}"#)
        #expect(
            try codec.roundTrip(#"{"optionalNestedEnum": "BAZ"}"#, as: Fixtures.editionsProto2)
                == #"{"optionalNestedEnum":"BAZ"}"#
        )
    }

    @Test("utf8_validation: VERIFY makes invalid UTF-8 malformed wire bytes; NONE makes it a value JSON cannot carry")
    func utf8Validation() throws {
        let codec = Codec(pool: Fixtures.conformancePool)
        // optional_string (14) = 0xC3 0x28, not UTF-8.
        let bytes: [UInt8] = [0x72, 0x02, 0xC3, 0x28]
        for type in [Fixtures.edition2023, Fixtures.editionsProto3, Fixtures.proto3] {
            let error = transcodingError { () throws(TranscodingError) in try codec.decode(bytes, as: type) }
            #expect(error?.code == .malformedProtobuf, "\(Fixtures.conformancePool[type].fullName)")
        }
        for type in [Fixtures.editionsProto2, Fixtures.proto2] {
            let error = transcodingError { () throws(TranscodingError) in try codec.decode(bytes, as: type) }
            #expect(error?.code == .invalidValue, "\(Fixtures.conformancePool[type].fullName)")
        }
        // Valid UTF-8 passes everywhere.
        for type in [Fixtures.edition2023, Fixtures.editionsProto2, Fixtures.editionsProto3] {
            #expect(try codec.decode([0x72, 0x02, 0xC3, 0xA9], as: type) == #"{"optionalString":"é"}"#)
        }
    }
}
