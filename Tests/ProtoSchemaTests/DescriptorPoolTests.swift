import Foundation
import ProtoSchema
import SwiftProtobuf
import Testing

/// The demo descriptor set checked in under Protos/.
func demoDescriptorSet() throws -> [UInt8] {
    let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()
    return [UInt8](try Data(contentsOf: root.appendingPathComponent("Protos/demo.binpb")))
}

@Suite("DescriptorPool over the demo descriptor set")
struct DescriptorPoolTests {
    let pool: DescriptorPool

    init() throws {
        pool = try DescriptorPool(serializedSets: [demoDescriptorSet()])
    }

    @Test func resolvesMethodsWithKindsAndPaths() throws {
        let getUser = try #require(pool.method(named: "demo.user.v1.UserService.GetUser"))
        #expect(getUser.kind == .unary)
        #expect(getUser.grpcPath == "/demo.user.v1.UserService/GetUser")
        #expect(pool[getUser.input].fullName == "demo.user.v1.UserRequest")
        #expect(pool[getUser.output].fullName == "demo.user.v1.UserResponse")
        #expect(pool.method(named: "demo.file.v1.FileService.DownLoad")?.kind == .serverStreaming)
        #expect(pool.method(named: "demo.upfile.v1.UpFileService.UpLoad")?.kind == .clientStreaming)
        #expect(pool.method(named: "demo.chat.v1.ChatService.TextChat")?.kind == .bidirectionalStreaming)
        #expect(pool.method(named: "demo.user.v1.UserService.Nope") == nil)
    }

    @Test func decodesHttpAnnotations() throws {
        let getUser = try #require(pool.method(named: "demo.user.v1.UserService.GetUser")?.httpRule)
        #expect(getUser.verb == "GET")
        #expect(getUser.path == "/v1/users/{id}")
        let echo = try #require(pool.method(named: "demo.echo.v1.EchoService.Echo")?.httpRule)
        #expect(echo.verb == "POST" && echo.path == "/v1/echo" && echo.body == "*")
        #expect(echo.additionalBindings.count == 10)
        #expect(echo.additionalBindings.contains { $0.verb == "HEAD" && $0.path == "/v1/echo/{f_int32}" })
        #expect(echo.additionalBindings.contains { $0.responseBody == "nested" })
        let download = try #require(pool.method(named: "demo.file.v1.FileService.DownLoad")?.httpRule)
        #expect(download.additionalBindings.first?.responseBody == "content")
    }

    @Test func indexesFieldsByBothNamesAndNumber() throws {
        let id = try #require(pool.messageID(named: "demo.echo.v1.Everything"))
        let message = pool[id]
        #expect(message.field(named: "f_int64")?.number == 3)
        #expect(message.field(named: "fInt64")?.number == 3)
        #expect(message.field(named: "customName")?.name == "renamed")
        #expect(message.field(named: "renamed")?.jsonName == "customName")
        #expect(message.field(number: 19)?.isMap == true)
        #expect(message.field(number: 25)?.isPacked == true)
        #expect(message.field(number: 26)?.isPacked == false)
        #expect(message.oneofs == ["choice"])
        #expect(message.field(named: "choice_text")?.oneofIndex == 0)
        let maybe = try #require(message.field(named: "maybe"))
        #expect(maybe.isProto3Optional && maybe.hasPresence && maybe.oneofIndex == nil)
        #expect(message.field(named: "f_int32")?.hasPresence == false)
        #expect(message.field(named: "nested")?.hasPresence == true)
    }

    @Test func resolvesMapEntriesAndEnums() throws {
        let id = try #require(pool.messageID(named: "demo.echo.v1.Everything"))
        let counts = try #require(pool[id].field(named: "counts"))
        let entry = pool[try #require(counts.mapEntry)]
        #expect(entry.isMapEntry)
        #expect(entry.fields.map(\.type) == [.string, .int32])
        guard case .enumeration(let colorID) = pool[id].field(named: "color")?.type else {
            Issue.record("color is not an enum")
            return
        }
        #expect(pool[colorID].number(named: "BLUE") == 3)
        #expect(pool[colorID].name(number: 1) == "RED")
    }

    @Test func resolvesDottedFieldPaths() throws {
        let id = try #require(pool.messageID(named: "demo.echo.v1.Everything"))
        #expect(pool.resolveFieldPath("nested.child.label", from: id)?.map(\.number) == [17, 3, 1])
        #expect(pool.resolveFieldPath("nested.value", from: id)?.map(\.number) == [17, 2])
        #expect(pool.resolveFieldPath("items.label", from: id) == nil)
        #expect(pool.resolveFieldPath("nested.nope", from: id) == nil)
    }
}

@Suite("DescriptorPool rejects bad descriptor sets")
struct DescriptorPoolErrorTests {
    @Test func rejectsBytesThatAreNotADescriptorSet() {
        #expect(throws: SchemaError.self) {
            try DescriptorPool(serializedSets: [[0xFF, 0xFF, 0xFF]])
        }
    }

    @Test func namesTheFileAndTypeOfAnUnresolvedReference() throws {
        var file = Google_Protobuf_FileDescriptorProto()
        file.name = "broken.proto"
        file.package = "broken"
        file.syntax = "proto3"
        var message = Google_Protobuf_DescriptorProto()
        message.name = "Holder"
        var field = Google_Protobuf_FieldDescriptorProto()
        field.name = "ghost"
        field.number = 1
        field.type = .message
        field.typeName = ".broken.Missing"
        message.field = [field]
        file.messageType = [message]
        do {
            _ = try DescriptorPool(files: [file])
            Issue.record("expected a SchemaError")
        } catch {
            #expect(error.code == .unresolvedType)
            #expect(error.message.contains("broken.proto"))
            #expect(error.message.contains("broken.Holder.ghost"))
            #expect(error.message.contains(".broken.Missing"))
        }
    }

    @Test func rejectsDuplicateTypeNames() throws {
        var a = Google_Protobuf_FileDescriptorProto()
        a.name = "a.proto"
        a.package = "dup"
        var message = Google_Protobuf_DescriptorProto()
        message.name = "Thing"
        a.messageType = [message]
        var b = a
        b.name = "b.proto"
        do {
            _ = try DescriptorPool(files: [a, b])
            Issue.record("expected a SchemaError")
        } catch {
            #expect(error.code == .duplicateName)
            #expect(error.message.contains("dup.Thing"))
            #expect(error.message.contains("b.proto"))
        }
    }

    @Test func mergesTheSameFileFromTwoSets() throws {
        let bytes = try demoDescriptorSet()
        let pool = try DescriptorPool(serializedSets: [bytes, bytes])
        #expect(pool.method(named: "demo.user.v1.UserService.GetUser") != nil)
    }

    @Test func resolvesRelativeTypeNamesFromTheEnclosingScope() throws {
        var file = Google_Protobuf_FileDescriptorProto()
        file.name = "relative.proto"
        file.package = "pkg.sub"
        file.syntax = "proto3"
        var inner = Google_Protobuf_DescriptorProto()
        inner.name = "Inner"
        var outer = Google_Protobuf_DescriptorProto()
        outer.name = "Outer"
        var field = Google_Protobuf_FieldDescriptorProto()
        field.name = "inner"
        field.number = 1
        field.type = .message
        field.typeName = "Inner"
        outer.field = [field]
        file.messageType = [inner, outer]
        let pool = try DescriptorPool(files: [file])
        let outerID = try #require(pool.messageID(named: "pkg.sub.Outer"))
        #expect(
            pool[outerID].field(named: "inner")?.type == .message(try #require(pool.messageID(named: "pkg.sub.Inner")))
        )
    }
}
