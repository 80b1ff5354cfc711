import Foundation
import Gateway
import NIOCore
import NIOHTTP1
import Routing
import SwiftProtobuf
import Testing

/// gRPC status → HTTP status and google.rpc.Status bodies, through the real backend.
@Suite("Error mapping end to end")
struct ErrorMappingTests {
    static let table: [(grpc: Int, http: Int)] = [
        (1, 499), (2, 500), (3, 400), (4, 504), (5, 404), (6, 409), (7, 403), (8, 429),
        (9, 400), (10, 409), (11, 400), (12, 501), (13, 500), (14, 503), (15, 500), (16, 401),
    ]

    @Test func everyGRPCCodeMapsToItsHTTPStatus() async throws {
        try await withGateway { harness in
            let client = try await harness.client()
            defer { Task { await client.close() } }
            for (grpc, http) in Self.table {
                let response = try await client.send(
                    .POST,
                    "/v1/fail",
                    body: #"{"code":\#(grpc),"message":"boom \#(grpc)"}"#
                )
                #expect(response.status == http, "grpc code \(grpc)")
                let json = try response.jsonObject()
                #expect(json["code"] as? Int == grpc)
                #expect(json["message"] as? String == "boom \(grpc)")
            }
            let ok = try await client.send(.POST, "/v1/fail", body: #"{"code":0}"#)
            #expect(ok.status == 200)
        }
    }

    @Test func backendStatusDetailsAreRenderedAsAnyJSON() async throws {
        try await withGateway { harness in
            let client = try await harness.client()
            defer { Task { await client.close() } }
            let response = try await client.send(.POST, "/v1/fail", body: #"{"code":9,"message":"not now"}"#)
            #expect(response.status == 400)
            #expect(
                response.text
                    == #"{"code":9,"message":"not now","details":[{"@type":"type.googleapis.com/google.rpc.ErrorInfo","reason":"DEMO_FAILURE","domain":"demo.portico","metadata":{"code":"9"}}]}"#
            )
            // Gateway-made errors have no details.
            let notFound = try await client.send(.GET, "/v1/nowhere")
            #expect(try notFound.jsonObject()["details"] as? [Any] != nil)
            #expect((try notFound.jsonObject()["details"] as? [Any])?.isEmpty == true)
        }
    }

    @Test func detailsRenderWithTheBuiltInRPCTypesWhenTheUsersSetLacksThem() async throws {
        let set = try Google_Protobuf_FileDescriptorSet(
            serializedBytes: try Data(contentsOf: URL(fileURLWithPath: repositoryRoot + "/Protos/demo.binpb"))
        )
        let withoutRPC = Google_Protobuf_FileDescriptorSet.with {
            $0.file = set.file.filter { !$0.name.hasPrefix("google/rpc/") }
        }
        let path = NSTemporaryDirectory() + "portico-no-rpc-\(UUID().uuidString).binpb"
        try Data(try withoutRPC.serializedBytes() as [UInt8]).write(to: URL(fileURLWithPath: path))
        defer { try? FileManager.default.removeItem(atPath: path) }
        try await withGateway(protos: path) { harness in
            let client = try await harness.client()
            defer { Task { await client.close() } }
            let response = try await client.send(.POST, "/v1/fail", body: #"{"code":9,"message":"not now"}"#)
            #expect(
                response.text
                    == #"{"code":9,"message":"not now","details":[{"@type":"type.googleapis.com/google.rpc.ErrorInfo","reason":"DEMO_FAILURE","domain":"demo.portico","metadata":{"code":"9"}}]}"#
            )
        }
    }

    @Test func oversizeBodyIsA413() async throws {
        try await withGateway(extraConfig: "limits: { maxRequestBodyBytes: 1024 }") { harness in
            let client = try await harness.client()
            let big = "{\"fString\":\"" + String(repeating: "x", count: 4096) + "\"}"
            let response = try await client.send(.POST, "/v1/echo", body: big)
            #expect(response.status == 413)
            #expect(try response.jsonObject()["code"] as? Int == 8)
            await client.close()
            // The gateway keeps serving.
            let next = try await harness.client()
            #expect(try await next.send(.GET, "/v1/users/1").status == 200)
            await next.close()
        }
    }

    @Test func malformedGrpcTimeoutIsA400() async throws {
        try await withGateway { harness in
            let client = try await harness.client()
            defer { Task { await client.close() } }
            let response = try await client.send(.GET, "/v1/users/1", headers: [("Grpc-Timeout", "soon")])
            #expect(response.status == 400)
        }
    }
}
