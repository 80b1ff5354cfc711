import Foundation
import SwiftProtobuf
import Testing
import Transcoding

typealias RandomE2023 = ProtobufTestMessages_Editions_TestAllTypesEdition2023
private typealias E23 = RandomE2023

/// Random TestAllTypesEdition2023 messages: a file-level `message_encoding = DELIMITED` (two
/// group-encoded fields, two group-encoded extensions, map entries that stay length-prefixed),
/// explicit presence everywhere, packed repeated fields by default, open enums.
extension MessageFactory {
    mutating func nestedEnum2023() -> RandomE2023.NestedEnum {
        [.foo, .bar, .baz, .neg, .UNRECOGNIZED(Int.random(in: 3...99, using: &random))].randomElement(using: &random)!
    }

    mutating func makeEdition2023(depth: Int = 0) -> RandomE2023 {
        var m = E23()
        // Zero is likely: explicit presence must write a set zero, and JSON must show it.
        if chance(40) { m.optionalInt32 = chance(30) ? 0 : int32() }
        if chance(40) { m.optionalInt64 = int64() }
        if chance(40) { m.optionalUint32 = uint32() }
        if chance(40) { m.optionalSint64 = int64() }
        if chance(40) { m.optionalFixed64 = uint64() }
        if chance(40) { m.optionalSfixed32 = int32() }
        if chance(40) { m.optionalFloat = float() }
        if chance(40) { m.optionalDouble = double() }
        if chance(40) { m.optionalBool = chance(50) }
        if chance(40) { m.optionalString = chance(30) ? "" : string() }
        if chance(40) { m.optionalBytes = bytes() }
        if chance(30) { m.optionalNestedEnum = nestedEnum2023() }
        if chance(20) { m.optionalForeignEnum = [.foreignFoo, .foreignBaz].randomElement(using: &random)! }
        if chance(30) {
            m.optionalNestedMessage.a = int32()
            if depth < 2, chance(30) { m.optionalNestedMessage.corecursive = makeEdition2023(depth: depth + 1) }
        }
        if chance(20) { m.optionalForeignMessage.c = int32() }
        if depth < 2, chance(20) { m.recursiveMessage = makeEdition2023(depth: depth + 1) }
        m.repeatedInt32 = (0..<count()).map { _ in int32() }
        m.repeatedSint64 = (0..<count()).map { _ in int64() }
        m.repeatedFixed32 = (0..<count()).map { _ in uint32() }
        m.repeatedDouble = (0..<count()).map { _ in double() }
        m.repeatedBool = (0..<count()).map { _ in chance(50) }
        m.repeatedString = (0..<count()).map { _ in string() }
        m.repeatedBytes = (0..<count()).map { _ in bytes() }
        m.repeatedNestedEnum = (0..<count()).map { _ in nestedEnum2023() }
        m.repeatedNestedMessage = (0..<count()).map { _ in .with { $0.a = int32() } }
        m.packedUint64 = (0..<count()).map { _ in uint64() }
        m.packedNestedEnum = (0..<count()).map { _ in nestedEnum2023() }
        m.unpackedInt32 = (0..<count()).map { _ in int32() }
        m.unpackedFloat = (0..<count()).map { _ in float() }
        m.unpackedNestedEnum = (0..<count()).map { _ in nestedEnum2023() }
        for _ in 0..<count() { m.mapInt32Int32[int32()] = int32() }
        for _ in 0..<count() { m.mapStringString[key()] = string() }
        for _ in 0..<count() { m.mapStringNestedEnum[key()] = nestedEnum2023() }
        for _ in 0..<count() { m.mapStringNestedMessage[key()] = .with { $0.a = int32() } }
        if depth < 2 {
            for _ in 0..<count() { m.mapRecursive[int32()] = makeEdition2023(depth: depth + 1) }
        }
        switch Int.random(in: 0..<5, using: &random) {
        case 0: m.oneofUint32 = uint32()
        case 1: m.oneofString = string()
        case 2: m.oneofNestedMessage = .with { $0.a = int32() }
        case 3: m.oneofEnum = nestedEnum2023()
        default: break
        }
        if chance(30) { m.groupLikeType.groupInt32 = int32() }
        if chance(30) { m.groupLikeType.groupUint32 = uint32() }
        if chance(30) { m.delimitedField.groupInt32 = int32() }
        if chance(25) { m.ProtobufTestMessages_Editions_extensionInt32 = int32() }
        if chance(25) { m.ProtobufTestMessages_Editions_extensionString = string() }
        if chance(25) { m.ProtobufTestMessages_Editions_groupLikeType.c = int32() }
        if chance(25) { m.ProtobufTestMessages_Editions_delimitedExt.c = int32() }
        return m
    }
}

@Suite("Oracle: TestAllTypesEdition2023 (delimited messages, explicit presence, packed by default)")
struct Edition2023OracleTests {
    static let extensions = ProtobufTestMessages_Editions_TestMessagesEdition2023_Extensions

    @Test("1,000 seeded random messages, both directions, default and proto-name options")
    func randomMessages() throws {
        var factory = MessageFactory(random: SplitMix64(seed: 0xED_2023_2023))
        var failures = 0
        for index in 0..<EditionsOracleTests.randomCount where failures < 5 {
            let message = factory.makeEdition2023()
            let bytes: [UInt8] = try message.serializedBytes()
            for (options, theirOptions) in EditionsOracleTests.optionPairs {
                let codec = Codec(pool: Fixtures.conformancePool, options: options)
                let json = try codec.decode(bytes, as: Fixtures.edition2023)
                let theirs = Self.fieldNamed(try message.jsonString(options: theirOptions))
                let agrees = jsonObject(json) != nil && jsonObject(json) == jsonObject(theirs)
                let readsBack = (try? E23(jsonString: json, extensions: Self.extensions)) == message
                let encoded = try codec.encode(theirs, as: Fixtures.edition2023)
                let encodes = (try? E23(serializedBytes: encoded, extensions: Self.extensions)) == message
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

    /// swift-protobuf's JSON with a group-like field named as C++ names it: by the field's proto
    /// name (`groupliketype`), not its type's (`GroupLikeType`); both are read. Random strings
    /// never contain these.
    static func fieldNamed(_ json: String) -> String {
        json.replacingOccurrences(of: "\"GroupLikeType\":", with: "\"groupliketype\":")
    }
}
