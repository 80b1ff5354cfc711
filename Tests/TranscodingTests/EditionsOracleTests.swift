import Foundation
import SwiftProtobuf
import Testing
import Transcoding

private typealias E3 = ProtobufTestMessages_Editions_Proto3_TestAllTypesProto3
private typealias E2 = ProtobufTestMessages_Editions_Proto2_TestAllTypesProto2

/// The Editions twins of TestAllTypesProto3 and TestAllTypesProto2 against swift-protobuf's
/// types generated from the Editions files, as OracleTests, RandomOracleTests and
/// RandomProto2OracleTests check the originals. A twin has the original's field numbers and wire
/// form, so each message is made as the original (by the same factories) and read into the twin
/// from its bytes; our codec must agree with the twin's oracle, and give, over the twin's
/// descriptors, exactly the JSON and bytes it gives over the original's.
@Suite("Oracle: the Editions twins of TestAllTypesProto3/Proto2")
struct EditionsOracleTests {
    static let randomCount = 1_000

    @Test("fixed cases on the proto3 twin, protobuf -> JSON and JSON -> protobuf", arguments: oracleCases)
    func proto3Cases(_ sample: OracleCase) throws {
        _ = Google_Protobuf_Any.register(messageType: E3.self)
        #expect(try Self.proto3Agrees(sample.message) == nil)
    }

    @Test("1,000 seeded random messages on the proto3 twin")
    func proto3Random() throws {
        Google_Protobuf_Any.register(messageType: RandomT3.self)
        Google_Protobuf_Any.register(messageType: RandomT3.NestedMessage.self)
        var factory = MessageFactory(random: SplitMix64(seed: 0xED_2023_0F_7057))
        var failures = 0
        for index in 0..<Self.randomCount where failures < 5 {
            if let failure = try Self.proto3Agrees(factory.make()) {
                failures += 1
                Issue.record("message \(index): \(failure)")
            }
        }
        #expect(failures == 0)
    }

    @Test("1,000 seeded random messages on the proto2 twin: presence, DELIMITED groups, closed enums")
    func proto2Random() throws {
        var factory = MessageFactory(random: SplitMix64(seed: 0xED_2015_0F_7057))
        var failures = 0
        for index in 0..<Self.randomCount where failures < 5 {
            if let failure = try Self.proto2Agrees(factory.makeProto2()) {
                failures += 1
                Issue.record("message \(index): \(failure)")
            }
        }
        #expect(failures == 0)
    }

    /// The option pairs every check runs with: ours, and swift-protobuf's equivalent.
    static let optionPairs: [(JSONCodecOptions, JSONEncodingOptions)] = {
        var protoNames = JSONEncodingOptions()
        protoNames.preserveProtoFieldNames = true
        protoNames.alwaysPrintEnumsAsInts = true
        return [
            (JSONCodecOptions(), JSONEncodingOptions()),
            (JSONCodecOptions(useProtoNames: true, enumsAsInts: true), protoNames),
        ]
    }()

    /// Nil when our codec handles `original`'s bytes as the proto3 twin the way the twin's oracle
    /// does, and as it handles them as the original; otherwise what differed.
    static func proto3Agrees(_ original: RandomT3) throws -> String? {
        let bytes: [UInt8] = try original.serializedBytes()
        let twin = try E3(serializedBytes: bytes)
        for (options, theirOptions) in optionPairs {
            let codec = Codec(pool: Fixtures.conformancePool, options: options)
            let json = try codec.decode(bytes, as: Fixtures.editionsProto3)
            let theirs = withZeroWrapperValue(try twin.jsonString(options: theirOptions))
            let sameAsOriginal = json == (try codec.decode(bytes, as: Fixtures.proto3))
            let agrees = jsonObject(json) != nil && jsonObject(json) == jsonObject(theirs)
            let readsBack = RandomOracleTests.same(try? E3(jsonString: json), twin)
            let encoded = try codec.encode(theirs, as: Fixtures.editionsProto3)
            let encodesAsOriginal = encoded == (try codec.encode(theirs, as: Fixtures.proto3))
            let encodes = RandomOracleTests.same(try? E3(serializedBytes: encoded), twin)
            if !(sameAsOriginal && agrees && readsBack && encodesAsOriginal && encodes) {
                return "sameAsOriginal \(sameAsOriginal), agrees \(agrees), readsBack \(readsBack), "
                    + "encodesAsOriginal \(encodesAsOriginal), encodes \(encodes)\nours:   \(json)\ntheirs: \(theirs)"
            }
        }
        return nil
    }

    /// swift-protobuf's JSON for an `Any` read from bytes that packs an Int32Value of zero (an
    /// empty payload) has no `"value"` member (one built from the message has `"value":0`); our
    /// codec writes `"value":0` and requires the member. The factories pack no other wrapper,
    /// and random strings never contain `@type`.
    static func withZeroWrapperValue(_ json: String) -> String {
        json.replacingOccurrences(
            of: #""type.googleapis.com/google.protobuf.Int32Value"}"#,
            with: #""type.googleapis.com/google.protobuf.Int32Value","value":0}"#
        )
    }

    /// As ``proto3Agrees(_:)`` for the proto2 twin. Extensions are named by their package
    /// (`[protobuf_test_messages.editions.proto2.extension_int32]`), so the JSON differs from the
    /// original's there alone.
    static func proto2Agrees(_ original: RandomT2) throws -> String? {
        let extensions = ProtobufTestMessages_Editions_Proto2_TestMessagesProto2Editions_Extensions
        let bytes: [UInt8] = try original.serializedBytes()
        let twin = try E2(serializedBytes: bytes, extensions: extensions)
        for (options, theirOptions) in optionPairs {
            let codec = Codec(pool: Fixtures.conformancePool, options: options)
            let json = try codec.decode(bytes, as: Fixtures.editionsProto2)
            let originalJSON = try codec.decode(bytes, as: Fixtures.proto2).replacingOccurrences(
                of: "[protobuf_test_messages.proto2.",
                with: "[protobuf_test_messages.editions.proto2."
            )
            // swift-protobuf names a group by its type (`Data`) where we use the field's proto
            // name (`data`, as C++ does); both are read. Random strings never contain these.
            let theirs = try twin.jsonString(options: theirOptions)
                .replacingOccurrences(of: "\"Data\":", with: "\"data\":")
                .replacingOccurrences(of: "\"MultiWordGroupField\":", with: "\"multiwordgroupfield\":")
            let sameAsOriginal = json == originalJSON
            let agrees = jsonObject(json) != nil && jsonObject(json) == jsonObject(theirs)
            let readsBack = (try? E2(jsonString: json, extensions: extensions)) == twin
            let encoded = try codec.encode(theirs, as: Fixtures.editionsProto2)
            // The same JSON text as the original: the two oracles order members differently.
            let asOriginal = theirs.replacingOccurrences(
                of: "[protobuf_test_messages.editions.proto2.",
                with: "[protobuf_test_messages.proto2."
            )
            let encodesAsOriginal = encoded == (try codec.encode(asOriginal, as: Fixtures.proto2))
            let encodes = (try? E2(serializedBytes: encoded, extensions: extensions)) == twin
            if !(sameAsOriginal && agrees && readsBack && encodesAsOriginal && encodes) {
                return "sameAsOriginal \(sameAsOriginal), agrees \(agrees), readsBack \(readsBack), "
                    + "encodesAsOriginal \(encodesAsOriginal), encodes \(encodes)\nours:   \(json)\ntheirs: \(theirs)"
            }
        }
        return nil
    }
}
