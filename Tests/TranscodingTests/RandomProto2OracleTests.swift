import Foundation
import SwiftProtobuf
import Testing
import Transcoding

typealias RandomT2 = ProtobufTestMessages_Proto2_TestAllTypesProto2
private typealias T2 = RandomT2

/// Random TestAllTypesProto2 messages: explicit presence (defaults that are set must be kept),
/// closed enums, unpacked and packed repeated fields, groups and extensions.
extension MessageFactory {
    mutating func nestedEnum2() -> RandomT2.NestedEnum {
        [.foo, .bar, .baz, .neg].randomElement(using: &random)!
    }

    mutating func makeProto2(depth: Int = 0) -> RandomT2 {
        var m = T2()
        // Zero is likely: proto2 must write a set zero, and JSON must show it.
        if chance(40) { m.optionalInt32 = chance(30) ? 0 : int32() }
        if chance(40) { m.optionalInt64 = int64() }
        if chance(40) { m.optionalUint32 = uint32() }
        if chance(40) { m.optionalUint64 = uint64() }
        if chance(40) { m.optionalSint64 = int64() }
        if chance(40) { m.optionalFixed32 = uint32() }
        if chance(40) { m.optionalSfixed64 = int64() }
        if chance(40) { m.optionalFloat = float() }
        if chance(40) { m.optionalDouble = double() }
        if chance(40) { m.optionalBool = chance(50) }
        if chance(40) { m.optionalString = chance(30) ? "" : string() }
        if chance(40) { m.optionalBytes = bytes() }
        if chance(30) { m.optionalNestedEnum = nestedEnum2() }
        if chance(30) {
            m.optionalNestedMessage.a = int32()
            if depth < 2, chance(30) { m.optionalNestedMessage.corecursive = makeProto2(depth: depth + 1) }
        }
        if depth < 2, chance(20) { m.recursiveMessage = makeProto2(depth: depth + 1) }
        m.repeatedInt32 = (0..<count()).map { _ in int32() }
        m.repeatedUint64 = (0..<count()).map { _ in uint64() }
        m.repeatedDouble = (0..<count()).map { _ in double() }
        m.repeatedString = (0..<count()).map { _ in string() }
        m.repeatedNestedEnum = (0..<count()).map { _ in nestedEnum2() }
        m.packedInt32 = (0..<count()).map { _ in int32() }
        m.packedNestedEnum = (0..<count()).map { _ in nestedEnum2() }
        for _ in 0..<count() { m.mapInt32Int32[int32()] = int32() }
        for _ in 0..<count() { m.mapStringString[key()] = string() }
        for _ in 0..<count() { m.mapStringNestedEnum[key()] = nestedEnum2() }
        switch Int.random(in: 0..<5, using: &random) {
        case 0: m.oneofUint32 = uint32()
        case 1: m.oneofString = string()
        case 2: m.oneofEnum = nestedEnum2()
        default: break
        }
        if chance(25) { m.data.groupInt32 = int32() }
        if chance(25) { m.data.groupUint32 = uint32() }
        if chance(20) { m.multiWordGroupField.groupInt32 = int32() }
        if chance(25) { m.ProtobufTestMessages_Proto2_extensionInt32 = int32() }
        if chance(20) { m.defaultInt32 = int32() }
        return m
    }
}

@Suite("Oracle on random proto2 messages: presence, groups, extensions, closed enums")
struct RandomProto2OracleTests {
    @Test("1,000 seeded random TestAllTypesProto2 messages, both directions, default and proto-name options")
    func randomProto2Messages() throws {
        var factory = MessageFactory(random: SplitMix64(seed: 0x9_2015_0F_7057))
        let extensions = ProtobufTestMessages_Proto2_TestMessagesProto2_Extensions
        let codec = Codec(pool: Fixtures.conformancePool)
        let protoNames = Codec(
            pool: Fixtures.conformancePool,
            options: JSONCodecOptions(useProtoNames: true, enumsAsInts: true)
        )
        var theirProtoNames = JSONEncodingOptions()
        theirProtoNames.preserveProtoFieldNames = true
        theirProtoNames.alwaysPrintEnumsAsInts = true
        var failures = 0
        for index in 0..<1_000 where failures < 5 {
            let message = factory.makeProto2()
            let bytes: [UInt8] = try message.serializedBytes()
            for (ours, theirOptions) in [(codec, JSONEncodingOptions()), (protoNames, theirProtoNames)] {
                let json = try ours.decode(bytes, as: Fixtures.proto2)
                // swift-protobuf names a group by its type (`Data`) where we use the field's proto
                // name (`data`, as C++ does); both are read. Random strings never contain these.
                let theirs = try message.jsonString(options: theirOptions)
                    .replacingOccurrences(of: "\"Data\":", with: "\"data\":")
                    .replacingOccurrences(of: "\"MultiWordGroupField\":", with: "\"multiwordgroupfield\":")
                let ourTree = jsonObject(json)
                let agrees = ourTree != nil && ourTree == jsonObject(theirs)
                let readsBack = (try? T2(jsonString: json, extensions: extensions)) == message
                let encoded = try ours.encode(theirs, as: Fixtures.proto2)
                let encodes = (try? T2(serializedBytes: encoded, extensions: extensions)) == message
                if !(agrees && readsBack && encodes) {
                    failures += 1
                    Issue.record(
                        "message \(index): agrees \(agrees), readsBack \(readsBack), encodes \(encodes)\nours:   \(json)\ntheirs: \(theirs)"
                    )
                }
            }
        }
        #expect(failures == 0)
    }
}
