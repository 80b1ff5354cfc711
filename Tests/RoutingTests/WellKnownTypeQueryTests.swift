import ProtoSchema
import Routing
import SwiftProtobuf
import Testing

/// Query parameters naming well-known types whose JSON form is a string, on a schema built in
/// code (the demo protos have no such fields).
@Suite("Well-known types in the query")
struct WellKnownTypeQueryTests {
    static func field(
        _ name: String,
        _ number: Int32,
        _ type: Google_Protobuf_FieldDescriptorProto.TypeEnum,
        typeName: String? = nil,
        repeated: Bool = false
    ) -> Google_Protobuf_FieldDescriptorProto {
        var field = Google_Protobuf_FieldDescriptorProto()
        field.name = name
        field.number = number
        field.type = type
        field.label = repeated ? .repeated : .optional
        if let typeName { field.typeName = typeName }
        return field
    }

    static func message(
        _ name: String,
        _ fields: [Google_Protobuf_FieldDescriptorProto]
    ) -> Google_Protobuf_DescriptorProto {
        var message = Google_Protobuf_DescriptorProto()
        message.name = name
        message.field = fields
        return message
    }

    static let pool: DescriptorPool = {
        var wellKnown = Google_Protobuf_FileDescriptorProto()
        wellKnown.name = "google/protobuf/wkt.proto"
        wellKnown.package = "google.protobuf"
        wellKnown.syntax = "proto3"
        wellKnown.messageType = [
            message("Timestamp", [field("seconds", 1, .int64), field("nanos", 2, .int32)]),
            message("FieldMask", [field("paths", 1, .string, repeated: true)]),
            message("Int32Value", [field("value", 1, .int32)]),
            message("Struct", []),
        ]

        var file = Google_Protobuf_FileDescriptorProto()
        file.name = "test/wkt.proto"
        file.package = "test"
        file.syntax = "proto3"
        file.dependency = ["google/protobuf/wkt.proto"]
        file.messageType = [
            message(
                "Request",
                [
                    field("start_time", 1, .message, typeName: ".google.protobuf.Timestamp"),
                    field("update_mask", 2, .message, typeName: ".google.protobuf.FieldMask"),
                    field("limit", 3, .message, typeName: ".google.protobuf.Int32Value"),
                    field("times", 4, .message, typeName: ".google.protobuf.Timestamp", repeated: true),
                    field("filter", 5, .message, typeName: ".google.protobuf.Struct"),
                ]
            )
        ]
        var method = Google_Protobuf_MethodDescriptorProto()
        method.name = "List"
        method.inputType = ".test.Request"
        method.outputType = ".test.Request"
        var service = Google_Protobuf_ServiceDescriptorProto()
        service.name = "Svc"
        service.method = [method]
        file.service = [service]
        do {
            return try DescriptorPool(files: [wellKnown, file])
        } catch {
            fatalError("\(error)")
        }
    }()

    static let table: RouteTable = {
        do {
            let definition = RouteDefinition(
                method: pool.method(named: "test.Svc.List")!,
                verb: "GET",
                pathTemplate: "/v1/items",
                source: "test"
            )
            return try RouteTable(definitions: [definition], pool: pool)
        } catch {
            fatalError("\(error)")
        }
    }()

    @Test func stringFormWellKnownTypesAreSettable() throws {
        let query = "start_time=2024-01-01T00:00:00Z&updateMask=a,b.c&limit=5"
        guard case .matched(let match) = try Self.table.lookup(method: "GET", path: "/v1/items", query: query[...])
        else {
            Issue.record("no match")
            return
        }
        #expect(match.bindings.map(\.dottedPath) == ["start_time", "update_mask", "limit"])
        #expect(match.bindings.map(\.value) == ["2024-01-01T00:00:00Z", "a,b.c", "5"])
    }

    @Test(arguments: ["times=2024-01-01T00:00:00Z", "filter=x", "start_time=2024-01-01T00:00:00Z&start_time.seconds=1"])
    func otherMessagesAreNot(query: String) {
        let error = #expect(throws: RoutingError.self) {
            try Self.table.lookup(method: "GET", path: "/v1/items", query: query[...])
        }
        #expect(error?.code == .invalidQueryParameter)
    }

    @Test func subFieldsOfWellKnownTypesAreSettable() throws {
        guard
            case .matched(let match) = try Self.table.lookup(
                method: "GET",
                path: "/v1/items",
                query: "start_time.seconds=1"
            )
        else {
            Issue.record("no match")
            return
        }
        #expect(match.bindings.map { $0.fieldPath.map(\.number) } == [[1, 1]])
    }

    @Test func wellKnownTypesAreNotPathVariables() {
        let definition = RouteDefinition(
            method: Self.pool.method(named: "test.Svc.List")!,
            verb: "GET",
            pathTemplate: "/v1/items/{start_time}",
            source: "wkt-path"
        )
        let error = #expect(throws: RouteTableError.self) {
            try RouteTable(definitions: [definition], pool: Self.pool)
        }
        #expect(error?.problems.map(\.code) == [.invalidBinding])
        #expect(error?.problems.first?.message.contains("google.protobuf.Timestamp") == true)
    }
}
