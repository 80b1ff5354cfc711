import Foundation
import NIOHTTP1
import ProtoSchema
import SwiftProtobuf
import Testing

@testable import Gateway

/// `protos:` entries that are `.proto` files or folders of them, compiled by protoc when the
/// configuration loads: the demo served from its sources, compile errors with file, line and
/// column, a missing protoc said plainly, and the sets equal to protoc's own output.
@Suite("protos: .proto sources")
struct ProtoSourcesTests {
    static let protosFolder = "\(repositoryRoot)/Protos"

    /// The demo's routes, unary and streaming, from `Protos/demo` with `Protos` for imports.
    @Test func servesTheDemoFromItsProtoSources() async throws {
        try await withGateway(
            extraConfig: "protoPaths: [\(Self.protosFolder)]",
            protos: "\(Self.protosFolder)/demo"
        ) { harness in
            let client = try await harness.client()
            #expect(try await client.send(.GET, "/v1/users/1").text == #"{"id":1,"name":"Ada Lovelace"}"#)
            let echo = try await client.send(.POST, "/v1/echo", body: #"{"fInt64":"42","color":"RED"}"#)
            #expect(echo.text == #"{"fInt64":"42","color":"RED"}"#)
            let missing = try await client.send(.GET, "/v1/users/9")
            #expect(missing.status == 404)
            #expect(missing.text.hasPrefix(#"{"code":5,"#))
            await client.close()
            let stream = try await StreamingTestClient.get(
                port: harness.gatewayPort,
                uri: "/v1/files/zeros-3000:chunks"
            )
            let streamed = await stream.collect()
            #expect(streamed.status == 200)
            #expect(streamed.text.split(separator: "\n").count == 3, "one line per 1024-byte chunk")
        }
    }

    /// A single `.proto` file, its imports found in its own folder and the bundled google ones.
    @Test func aSingleFileCompilesWithTheBundledImports() throws {
        let folder = try Self.folder(
            [
                "shop.proto": """
                syntax = "proto3";
                package shop.v1;
                import "google/api/annotations.proto";
                import "google/protobuf/timestamp.proto";
                import "money.proto";
                message Order { string id = 1; google.protobuf.Timestamp placed = 2; Money total = 3; }
                service Orders {
                  rpc GetOrder(Order) returns (Order) { option (google.api.http) = { get: "/v1/orders/{id}" }; }
                }
                """,
                "money.proto": "syntax = \"proto3\";\npackage shop.v1;\nmessage Money { int64 cents = 1; }\n",
            ]
        )
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let snapshot = try Self.build(protos: ["\(folder)/shop.proto"])
        #expect(snapshot.pool.method(named: "shop.v1.Orders.GetOrder") != nil)
        #expect(RouteListing.rows(of: snapshot).map(\.line).contains { $0.contains("/v1/orders/{id}") })
    }

    @Test func aSyntaxErrorIsReportedWithFileLineAndColumn() throws {
        let folder = try Self.folder([
            "bad.proto": "syntax = \"proto3\";\npackage bad;\nmessage A {\n  string id = 1\n}\n"
        ])
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let error = try #require(throws: ConfigError.self) { try Self.build(protos: ["descriptors.binpb", folder]) }
        let problem = try #require(error.problems.first { $0.path == "protos[1]" }, "\(error.problems)")
        #expect(problem.message.hasPrefix("\(folder)/bad.proto:5:1: "), "\(problem.message)")
        #expect(error.problems.contains { $0.path == "protos[0]" }, "the unreadable set is reported too")
    }

    @Test func aMissingProtocIsOneClearProblem() throws {
        let configured = try #require(throws: ConfigError.self) {
            try Self.build(protos: ["\(Self.protosFolder)/demo"], extra: "protoc: /nonexistent/protoc")
        }
        #expect(configured.problems.map(\.path) == ["protoc"])
        #expect(configured.problems.first?.message == "protoc /nonexistent/protoc is not an executable file")
        var onPath = ProtoCompiler(protoc: nil, importPaths: [])
        onPath.searchPath = "/nonexistent:/also/not/here"
        var problems: [ConfigProblem] = []
        #expect(onPath.compile([.init(index: 2, path: Self.protosFolder)], problems: &problems) == nil)
        #expect(problems.map(\.path) == ["protos[2]"])
        #expect(problems.first?.message.contains("apt-get install protobuf-compiler") == true, "\(problems)")
        var named = ProtoCompiler(protoc: "protoc-99", importPaths: [])
        named.searchPath = "/nonexistent"
        problems = []
        #expect(named.compile([.init(index: 0, path: Self.protosFolder)], problems: &problems) == nil)
        #expect(problems == [ConfigProblem(path: "protoc", message: "protoc-99 is not on PATH")])
    }

    /// What Portico compiles is what `protoc --include_imports` makes of the same files (source
    /// info aside: the bundled google files carry none), for the demo and the conformance protos.
    @Test(arguments: [
        (
            "Protos",
            [
                "demo/user/v1/user.proto", "demo/echo/v1/echo.proto", "demo/file/v1/file.proto",
                "demo/chat/v1/chat.proto",
            ]
        ),
        ("Tests/TranscodingTests/Protos", ["test_messages_proto3.proto", "test_messages_proto2.proto"]),
    ])
    func compiledSetsEqualProtocsOwn(root: String, files: [String]) async throws {
        let rootPath = "\(repositoryRoot)/\(root)"
        let compiler = ProtoCompiler(protoc: nil, importPaths: [rootPath])
        var problems: [ConfigProblem] = []
        let entries = files.enumerated().map {
            ProtoCompiler.Entry(index: $0.offset, path: "\(rootPath)/\($0.element)")
        }
        let compiled = try #require(compiler.compile(entries, problems: &problems), "\(problems)")
        let output = NSTemporaryDirectory() + "protoc-\(UUID().uuidString).binpb"
        defer { try? FileManager.default.removeItem(atPath: output) }
        let protoc = try await runTool(
            "/usr/bin/env",
            [
                "protoc", "-I", rootPath, "-I", Self.protosFolder, "-I", "/usr/include", "--include_imports",
                "--descriptor_set_out=\(output)",
            ]
                + files
        )
        #expect(protoc.status == 0, "\(protoc.stderr)")
        let theirs = try Self.filesByName(try Data(contentsOf: URL(fileURLWithPath: output)))
        let ours = try Self.filesByName(Data(compiled))
        #expect(Set(ours.keys) == Set(theirs.keys))
        for (name, file) in theirs {
            #expect(ours[name] == file, "\(name) differs")
        }
    }

    /// The set's files by name, source info cleared.
    static func filesByName(_ data: Data) throws -> [String: Google_Protobuf_FileDescriptorProto] {
        let set = try Google_Protobuf_FileDescriptorSet(serializedBytes: data)
        return Dictionary(
            uniqueKeysWithValues: set.file.map { file in
                var bare = file
                bare.clearSourceCodeInfo()
                return (file.name, bare)
            }
        )
    }

    /// A new folder holding `files` (name → text).
    static func folder(_ files: [String: String]) throws -> String {
        let folder = NSTemporaryDirectory() + "portico-protos-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        for (name, text) in files {
            try text.write(toFile: "\(folder)/\(name)", atomically: true, encoding: .utf8)
        }
        return folder
    }

    /// The snapshot of a configuration with `protos` (and `extra` lines), relative paths
    /// against a scratch folder.
    static func build(protos: [String], extra: String = "") throws -> GatewaySnapshot {
        let config = try GatewayConfig.parse(
            yaml: """
                protos: [\(protos.joined(separator: ", "))]
                backends: { demo: { endpoints: [127.0.0.1:1] } }
                \(extra)
                """
        )
        return try SnapshotBuilder(config: config, baseDirectory: NSTemporaryDirectory()).build()
    }
}
