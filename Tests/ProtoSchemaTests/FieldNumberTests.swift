import Foundation
import ProtoSchema
import SwiftProtobuf
import Testing

/// Field numbers a descriptor set may give: 1 through 2^29 − 1, once per message (as protoc and
/// every runtime check). `FuzzDescriptorSet` found a negative number trapping the pool's build.
@Suite("Descriptor sets with impossible field numbers are refused")
struct FieldNumberTests {
    /// A proto3 file `x.proto` with message `x.M` of `int32` fields numbered `numbers`.
    static func file(numbers: [Int32]) -> Google_Protobuf_FileDescriptorProto {
        var file = Google_Protobuf_FileDescriptorProto()
        file.name = "x.proto"
        file.package = "x"
        file.syntax = "proto3"
        var message = Google_Protobuf_DescriptorProto()
        message.name = "M"
        message.field = numbers.enumerated().map { index, number in
            var field = Google_Protobuf_FieldDescriptorProto()
            field.name = "f\(index)"
            field.number = number
            field.type = .int32
            return field
        }
        file.messageType = [message]
        return file
    }

    @Test("a number outside 1…536870911 is invalidDefinition naming the field", arguments: [0, -1, -300, 536_870_912])
    func outOfRange(_ number: Int32) {
        do {
            _ = try DescriptorPool(files: [Self.file(numbers: [1, number])])
            Issue.record("expected a SchemaError")
        } catch {
            #expect(error.code == .invalidDefinition)
            #expect(error.message.contains("x.M.f1"))
            #expect(error.message.contains("\(number)"))
        }
    }

    @Test("the largest number loads")
    func largest() throws {
        let pool = try DescriptorPool(files: [Self.file(numbers: [1, 536_870_911])])
        let message = try #require(pool.messageID(named: "x.M"))
        #expect(pool[message].field(number: 536_870_911)?.name == "f1")
    }

    @Test("a number used twice is invalidDefinition")
    func duplicate() {
        do {
            _ = try DescriptorPool(files: [Self.file(numbers: [3, 3])])
            Issue.record("expected a SchemaError")
        } catch {
            #expect(error.code == .invalidDefinition)
            #expect(error.message.contains("x.M uses field number 3 twice"))
        }
    }

    /// `Fuzz/Regressions/FuzzDescriptorSet/`: a byte whose bit 0 puts `Fuzz/Fixtures/fuzz.binpb`
    /// first, then a descriptor set. Each is refused with a SchemaError; none traps.
    @Test("the fuzzer's descriptor-set inputs are refused, not trapped on", arguments: regressionInputs())
    func fuzzRegression(_ name: String) throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        let input = [UInt8](
            try Data(contentsOf: root.appendingPathComponent("Fuzz/Regressions/FuzzDescriptorSet/\(name)"))
        )
        let base = [UInt8](try Data(contentsOf: root.appendingPathComponent("Fuzz/Fixtures/fuzz.binpb")))
        let sets = (input.first.map { $0 & 1 != 0 } == true ? [base] : []) + [Array(input.dropFirst())]
        #expect(throws: SchemaError.self) { try DescriptorPool(serializedSets: sets) }
    }

    static func regressionInputs() -> [String] {
        let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("Fuzz/Regressions/FuzzDescriptorSet")
        return ((try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []).sorted()
    }
}
