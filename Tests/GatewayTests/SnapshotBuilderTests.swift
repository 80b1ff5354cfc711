import Foundation
import Gateway
import NIOCore
import ProtoSchema
import Routing
import SwiftProtobuf
import Testing

/// What ``SnapshotBuilder`` resolves once: which backend serves which service, and each route's
/// plan.
@Suite struct SnapshotBuilderTests {
    /// `services: {"*": backend}` serves services of `.proto` files without a `package`, as the
    /// tutorial's Go servers have.
    @Test func aStarServesServicesWithoutAPackage() throws {
        let set = try Self.packagelessGreeterSet()
        let path = NSTemporaryDirectory() + "portico-greeter-\(UUID().uuidString).binpb"
        try Data(set.serializedBytes() as [UInt8]).write(to: URL(fileURLWithPath: path))
        defer { try? FileManager.default.removeItem(atPath: path) }
        let yaml = """
            protos: [\(path)]
            backends:
              go: { endpoints: [127.0.0.1:50052] }
              other: { endpoints: [127.0.0.1:50053] }
            services:
              "*": go
            http:
              rules:
                - selector: Greeter.SayHello
                  post: /hello
                  body: "*"
            """
        let snapshot = try GatewaySnapshot(config: GatewayConfig.parse(yaml: yaml), baseDirectory: "/")
        let plan = try #require(snapshot.plans.first)
        #expect(plan.labels.backend == "go")
        #expect(plan.labels.rpcMethod == "Greeter/SayHello")
        #expect(plan.labels.httpRoute == "/hello")
        #expect(plan.method.grpcPath == "/Greeter/SayHello")
    }

    @Test func anExactEntryBeatsTheLongestPrefixWhichBeatsAStar() throws {
        let yaml = """
            protos: [Protos/demo.binpb]
            backends:
              a: { endpoints: [127.0.0.1:50052] }
              b: { endpoints: [127.0.0.1:50053] }
              c: { endpoints: [127.0.0.1:50054] }
            services:
              "*": a
              demo.*: b
              demo.user.v1.UserService: c
            """
        let snapshot = try GatewaySnapshot(config: GatewayConfig.parse(yaml: yaml), baseDirectory: repositoryRoot)
        let backends = Dictionary(
            snapshot.plans.map { ($0.method.serviceFullName, $0.labels.backend) },
            uniquingKeysWith: { a, _ in a }
        )
        #expect(backends["demo.user.v1.UserService"] == "c")
        #expect(backends["demo.echo.v1.EchoService"] == "b")
        #expect(backends["demo.chat.v1.ChatService"] == "b")
    }

    @Test func plansResolveTimeoutsRetriesAndBodiesOnce() throws {
        let yaml = """
            protos: [Protos/demo.binpb]
            backends:
              demo:
                endpoints: [127.0.0.1:50052]
                timeout: 3s
                retry: { maxAttempts: 2 }
            methods:
              demo.file.v1.FileService.DownLoad: { timeout: 1h, rawContentType: application/zip }
            """
        let snapshot = try GatewaySnapshot(config: GatewayConfig.parse(yaml: yaml), baseDirectory: repositoryRoot)
        func plan(_ method: String, _ template: String) throws -> RoutePlan {
            try #require(snapshot.plans.first { $0.method.fullName == method && $0.route.pathTemplate == template })
        }
        let getUser = try plan("demo.user.v1.UserService.GetUser", "/v1/users/{id}")
        #expect(getUser.defaultTimeout == .seconds(3))
        #expect(getUser.retry?.maxAttempts == 2)
        #expect(snapshot.plans[getUser.route.index] === getUser)
        let chat = try plan("demo.chat.v1.ChatService.TextChat", "/v1/chat")
        #expect(chat.defaultTimeout == nil, "streams have no deadline from the backend's timeout")
        #expect(chat.retry == nil, "only unary calls retry")
        let download = try plan("demo.file.v1.FileService.DownLoad", "/v1/files/{name}")
        #expect(download.defaultTimeout == .hours(1))
        #expect(download.response.isRaw)
        #expect(download.response.defaultRawContentType == "application/zip")
    }

    /// A descriptor set with one `.proto` file that has no `package`: `service Greeter { rpc
    /// SayHello(HelloRequest) returns (HelloReply); }`.
    static func packagelessGreeterSet() throws -> Google_Protobuf_FileDescriptorSet {
        var file = Google_Protobuf_FileDescriptorProto()
        file.name = "greeter.proto"
        file.syntax = "proto3"
        for name in ["HelloRequest", "HelloReply"] {
            var message = Google_Protobuf_DescriptorProto()
            message.name = name
            var field = Google_Protobuf_FieldDescriptorProto()
            field.name = name == "HelloRequest" ? "name" : "message"
            field.jsonName = field.name
            field.number = 1
            field.type = .string
            field.label = .optional
            message.field = [field]
            file.messageType.append(message)
        }
        var method = Google_Protobuf_MethodDescriptorProto()
        method.name = "SayHello"
        method.inputType = ".HelloRequest"
        method.outputType = ".HelloReply"
        var service = Google_Protobuf_ServiceDescriptorProto()
        service.name = "Greeter"
        service.method = [method]
        file.service = [service]
        var set = Google_Protobuf_FileDescriptorSet()
        set.file = [file]
        return set
    }
}
