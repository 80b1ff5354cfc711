import Foundation
import Gateway
import NIOHTTP1
import Testing

/// `http.autoMapping: true`: a method without a binding is reachable as
/// `POST /<package.Service>/<Method>` with its request message as the body (streams as on
/// other routes); methods with a binding keep only theirs.
@Suite("http.autoMapping")
struct AutoMappingTests {
    /// The demo's user and chat services without their `google.api.http` annotations, compiled
    /// from `.proto` files in a new folder; returns the folder.
    static func unannotatedProtos() throws -> String {
        let folder = NSTemporaryDirectory() + "portico-unannotated-\(UUID().uuidString)"
        for file in ["demo/user/v1/user.proto", "demo/chat/v1/chat.proto"] {
            let text = try String(contentsOfFile: "\(repositoryRoot)/Protos/\(file)", encoding: .utf8)
            // Braces inside the strings (`{id}`) are not the block's.
            let bare = text.replacing(#/option \(google\.api\.http\) = \{(?:[^{}"]|"[^"]*")*\};/#, with: "")
            #expect(!bare.contains("google.api.http"), "\(file) lost its annotation")
            let target = "\(folder)/\(file)"
            try FileManager.default.createDirectory(
                atPath: (target as NSString).deletingLastPathComponent,
                withIntermediateDirectories: true
            )
            try bare.write(toFile: target, atomically: true, encoding: .utf8)
        }
        return folder
    }

    @Test func unannotatedMethodsAreReachableAtTheirGRPCPaths() async throws {
        let folder = try Self.unannotatedProtos()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        try await withGateway(extraConfig: "http: { autoMapping: true }", protos: folder) { harness in
            let client = try await harness.client()
            let user = try await client.send(.POST, "/demo.user.v1.UserService/GetUser", body: #"{"id":1}"#)
            #expect(user.status == 200)
            #expect(user.text == #"{"id":1,"name":"Ada Lovelace"}"#)
            let wrongVerb = try await client.send(.GET, "/demo.user.v1.UserService/GetUser")
            #expect(wrongVerb.status == 405)
            #expect(wrongVerb.headers.first(name: "allow") == "POST")
            await client.close()

            // Bidirectional streaming: NDJSON in, one line out per message.
            #expect(
                try await StreamingTestClient.chatsOneAndTwo(
                    port: harness.gatewayPort,
                    uri: "/demo.chat.v1.ChatService/TextChat"
                )
            )
            let rows = RouteListing.rows(of: harness.gateway.snapshot)
            #expect(rows.map(\.source).allSatisfy { $0 == .auto })
            #expect(
                rows.map(\.template).sorted() == [
                    "/demo.chat.v1.ChatService/TextChat", "/demo.user.v1.UserService/GetUser",
                ]
            )
        }
    }

    /// An annotated method keeps its binding only; the switch off (the default) maps nothing.
    @Test func annotatedMethodsKeepOnlyTheirBindings() async throws {
        try await withGateway(extraConfig: "http: { autoMapping: true }") { harness in
            let client = try await harness.client()
            #expect(try await client.send(.POST, "/demo.user.v1.UserService/GetUser", body: #"{"id":1}"#).status == 404)
            #expect(try await client.send(.GET, "/v1/users/1").status == 200)
            #expect(RouteListing.rows(of: harness.gateway.snapshot).allSatisfy { $0.source != .auto })
            await client.close()
        }
        let folder = try Self.unannotatedProtos()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        try await withGateway(protos: folder) { harness in
            #expect(RouteListing.rows(of: harness.gateway.snapshot).isEmpty)
        }
    }
}
