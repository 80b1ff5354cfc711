import Foundation
import ProtoSchema
import SwiftProtobuf
import Testing

/// Fallback files: added only where the user's sets say nothing about them.
@Suite("DescriptorPool fallback sets")
struct DescriptorPoolFallbackTests {
    /// The demo set split in two: the google/rpc files, and everything else.
    static func splitDemoSet() throws -> (withoutRPC: [UInt8], rpcOnly: [UInt8]) {
        let set = try Google_Protobuf_FileDescriptorSet(serializedBytes: try demoDescriptorSet())
        let isRPC = { (file: Google_Protobuf_FileDescriptorProto) in file.name.hasPrefix("google/rpc/") }
        let without = Google_Protobuf_FileDescriptorSet.with { $0.file = set.file.filter { !isRPC($0) } }
        // The rpc files with the imports they need, in dependency order.
        let rpc = Google_Protobuf_FileDescriptorSet.with {
            $0.file = set.file.filter {
                isRPC($0) || $0.name == "google/protobuf/any.proto" || $0.name == "google/protobuf/duration.proto"
            }
        }
        return (try without.serializedBytes(), try rpc.serializedBytes())
    }

    @Test func addsTheFilesTheSetsLack() throws {
        let (without, rpc) = try Self.splitDemoSet()
        #expect(try DescriptorPool(serializedSets: [without]).messageID(named: "google.rpc.ErrorInfo") == nil)
        let pool = try DescriptorPool(serializedSets: [without], fallbackSets: [rpc])
        #expect(pool.messageID(named: "google.rpc.ErrorInfo") != nil)
        #expect(pool.messageID(named: "google.rpc.Status") != nil)
        #expect(pool.method(named: "demo.echo.v1.EchoService.Echo") != nil)
    }

    @Test func theUsersOwnFileWinsEvenWhenItDiffers() throws {
        let (_, rpc) = try Self.splitDemoSet()
        // A user's google/rpc/status.proto that differs from the built-in one (an extra field).
        var set = try Google_Protobuf_FileDescriptorSet(serializedBytes: rpc)
        let index = try #require(set.file.firstIndex { $0.name == "google/rpc/status.proto" })
        var extra = Google_Protobuf_FieldDescriptorProto()
        extra.name = "user_extra"
        extra.number = 99
        extra.type = .string
        extra.label = .optional
        set.file[index].messageType[0].field.append(extra)
        let pool = try DescriptorPool(serializedSets: [try set.serializedBytes()], fallbackSets: [rpc])
        let status = try #require(pool.messageID(named: "google.rpc.Status"))
        #expect(pool[status].field(named: "user_extra") != nil)
    }

    @Test func aFileDefiningTheSameTypesUnderAnotherNameWins() throws {
        let (_, rpc) = try Self.splitDemoSet()
        var set = try Google_Protobuf_FileDescriptorSet(serializedBytes: rpc)
        for i in set.file.indices where set.file[i].name.hasPrefix("google/rpc/") {
            set.file[i].name = "vendored/" + set.file[i].name
        }
        let pool = try DescriptorPool(serializedSets: [try set.serializedBytes()], fallbackSets: [rpc])
        #expect(pool.files.filter { $0.hasPrefix("google/rpc/") }.isEmpty)
        #expect(pool.messageID(named: "google.rpc.BadRequest") != nil)
    }
}
