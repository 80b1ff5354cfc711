import Foundation
import ProtoSchema
import Testing

/// The conformance test messages: proto2/proto3 (protoc 3.21) and their Editions variants
/// (protoc from grpcio-tools), as scripts/generate-test-protos.sh builds them.
enum ConformanceSets {
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("TranscodingTests/Fixtures")

    static func bytes(_ name: String) throws -> [UInt8] {
        [UInt8](try Data(contentsOf: fixtures.appendingPathComponent(name)))
    }

    /// Both sets in one pool (they share the well-known types' files).
    static func pool() throws -> DescriptorPool {
        try DescriptorPool(serializedSets: [bytes("test_messages.binpb"), bytes("test_messages_editions.binpb")])
    }
}

/// The Editions files restate proto2 and proto3 with features (`field_presence = IMPLICIT` for
/// proto3; `enum_type = CLOSED`, `repeated_field_encoding = EXPANDED`, `utf8_validation = NONE`,
/// `DELIMITED` groups and `LEGACY_REQUIRED` for proto2): every field must resolve to the flags
/// its proto2 or proto3 original has.
@Suite("Editions twins resolve like their proto2 and proto3 originals")
struct EditionsTwinTests {
    static let twins: [(classic: String, editions: String)] = [
        ("protobuf_test_messages.proto3.", "protobuf_test_messages.editions.proto3."),
        ("protobuf_test_messages.proto2.", "protobuf_test_messages.editions.proto2."),
    ]

    @Test("every message, field and enum of the twin files", arguments: [0, 1])
    func sameFlags(_ twin: Int) throws {
        let pool = try ConformanceSets.pool()
        let (classic, editions) = Self.twins[twin]
        var compared = 0
        for message in pool.messages where message.fullName.hasPrefix(classic) {
            let twinName = editions + message.fullName.dropFirst(classic.count)
            let id = try #require(pool.messageID(named: twinName), "no twin for \(message.fullName)")
            let other = pool[id]
            #expect(other.isMapEntry == message.isMapEntry, "\(twinName)")
            #expect(other.fields.count == message.fields.count, "\(twinName)")
            for field in message.fields {
                // Extensions are named by their (package-qualified) full names.
                let otherName =
                    field.name.hasPrefix("[") ? "[\(editions)\(field.name.dropFirst(classic.count + 1))" : field.name
                let mirror = try #require(other.field(number: field.number), "\(twinName).\(otherName)")
                let place = "\(twinName).\(mirror.name)"
                #expect(mirror.name == otherName, "\(place)")
                #expect(mirror.jsonName == (field.name.hasPrefix("[") ? otherName : field.jsonName), "\(place)")
                #expect(
                    kind(mirror.type, in: pool, dropping: editions) == kind(field.type, in: pool, dropping: classic),
                    "\(place)"
                )
                #expect(mirror.isRepeated == field.isRepeated, "\(place)")
                #expect(mirror.isPacked == field.isPacked, "\(place)")
                #expect(mirror.hasPresence == field.hasPresence, "\(place)")
                #expect(mirror.isRequired == field.isRequired, "\(place)")
                #expect(mirror.validatesUTF8 == field.validatesUTF8, "\(place)")
                #expect(mirror.oneofIndex == field.oneofIndex, "\(place)")
                #expect((mirror.mapEntry == nil) == (field.mapEntry == nil), "\(place)")
                compared += 1
            }
            // Group fields are also known by their type name (`Data`), on both sides (extensions
            // only by their full name).
            for (i, field) in message.fields.enumerated() where !field.name.hasPrefix("[") {
                guard case .group(let group) = field.type else { continue }
                let typeName = String(pool[group].fullName.split(separator: ".").last!)
                #expect(message.fieldIndex(named: typeName) == i, "\(message.fullName).\(typeName)")
                #expect(other.fieldIndex(named: typeName) == i, "\(twinName).\(typeName)")
            }
        }
        for enumeration in pool.enums where enumeration.fullName.hasPrefix(classic) {
            let twinName = editions + enumeration.fullName.dropFirst(classic.count)
            let id = try #require(pool.enumID(named: twinName), "no twin for \(enumeration.fullName)")
            #expect(pool[id].isClosed == enumeration.isClosed, "\(twinName)")
            #expect(pool[id].values == enumeration.values, "\(twinName)")
        }
        // Enough to be the whole of TestAllTypesProto3/Proto2 and their neighbours.
        #expect(compared > (twin == 0 ? 180 : 200))
    }

    @Test("the flags the twins share are the syntax's own")
    func knownFlags() throws {
        let pool = try ConformanceSets.pool()
        for prefix in ["protobuf_test_messages.proto2.", "protobuf_test_messages.editions.proto2."] {
            let message = pool[try #require(pool.messageID(named: prefix + "TestAllTypesProto2"))]
            #expect(message.field(named: "optional_int32")?.hasPresence == true)
            #expect(message.field(named: "repeated_int32")?.isPacked == false)
            #expect(message.field(named: "packed_int32")?.isPacked == true)
            #expect(message.field(named: "optional_string")?.validatesUTF8 == false)
            guard case .group = message.field(named: "data")?.type else {
                Issue.record("\(prefix)data is not a group")
                continue
            }
            guard case .enumeration(let nested) = message.field(named: "optional_nested_enum")?.type else {
                Issue.record("\(prefix)optional_nested_enum is not an enum")
                continue
            }
            #expect(pool[nested].isClosed)
            let required = pool[try #require(pool.messageID(named: prefix + "TestAllRequiredTypesProto2"))]
            #expect(required.field(named: "required_int32")?.isRequired == true)
            #expect(required.field(named: "required_int32")?.hasPresence == true)
            let requiredNested = pool[
                try #require(pool.messageID(named: prefix + "TestAllRequiredTypesProto2.NestedMessage"))
            ]
            #expect(requiredNested.field(named: "a")?.isRequired == true)
            #expect(requiredNested.field(named: "optional_corecursive")?.isRequired == false)
        }
        for prefix in ["protobuf_test_messages.proto3.", "protobuf_test_messages.editions.proto3."] {
            let message = pool[try #require(pool.messageID(named: prefix + "TestAllTypesProto3"))]
            #expect(message.field(named: "optional_int32")?.hasPresence == false)
            #expect(message.field(named: "repeated_int32")?.isPacked == true)
            #expect(message.field(named: "unpacked_int32")?.isPacked == false)
            #expect(message.field(named: "optional_string")?.validatesUTF8 == true)
            #expect(message.field(named: "oneof_uint32")?.hasPresence == true)
            guard case .enumeration(let nested) = message.field(named: "optional_nested_enum")?.type else {
                Issue.record("\(prefix)optional_nested_enum is not an enum")
                continue
            }
            #expect(!pool[nested].isClosed)
        }
    }

    /// A type with message and enum references named without the package, so twins compare.
    private func kind(_ type: FieldType, in pool: DescriptorPool, dropping prefix: String) -> String {
        switch type {
        case .message(let id): "message \(pool[id].fullName.replacingOccurrences(of: prefix, with: ""))"
        case .group(let id): "group \(pool[id].fullName.replacingOccurrences(of: prefix, with: ""))"
        case .enumeration(let id): "enum \(pool[id].fullName.replacingOccurrences(of: prefix, with: ""))"
        default: "\(type)"
        }
    }
}
