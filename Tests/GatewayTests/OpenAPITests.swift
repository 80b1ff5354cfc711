import Foundation
import Gateway
import NIOHTTP1
import Testing
import Yams

/// The OpenAPI 3.1 document made from the live route table: valid by openapi-spec-validator,
/// shaped as the proto3 JSON mapping says, and true to the running gateway by schemathesis.
@Suite("OpenAPI document", .serialized)
struct OpenAPITests {
    /// The admin listener's `GET /openapi.json` of a demo gateway.
    static func document(_ harness: GatewayHarness) async throws -> (text: String, tree: YAMLTree) {
        let admin = try await harness.adminClient()
        defer { Task { await admin.close() } }
        let response = try await admin.send(.GET, "/openapi.json")
        #expect(response.status == 200)
        #expect(response.headers.first(name: "content-type") == "application/json")
        return (response.text, YAMLTree(try JSONSerialization.jsonObject(with: Data(response.text.utf8))))
    }

    /// The text written to a new file; returns its path.
    static func file(_ text: String) throws -> String {
        let path = NSTemporaryDirectory() + "portico-openapi-\(UUID().uuidString).json"
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    @Test func theDemoDocumentPassesOpenAPISpecValidator() async throws {
        try await withGateway(extraConfig: AdminEndpointTests.admin) { harness in
            let path = try Self.file(try await Self.document(harness).text)
            defer { try? FileManager.default.removeItem(atPath: path) }
            let result = try await TestTool.run("openapi-spec-validator", [path])
            #expect(result.status == 0, "\(result.text)\(result.stderr)")
            #expect(result.text.contains("OK"))
        }
    }

    /// `auth` providers become `securitySchemes`, and each operation needing credentials names
    /// them: any one of `requires`, all of `allOf`, an `idHeader` together with its key.
    @Test func authProvidersBecomeSecuritySchemes() async throws {
        let extra = """
            auth:
              providers:
                appkeys: { apiKey: { header: appkey, idHeader: appid, keys: { file: demo/api-keys.txt } } }
                querykeys: { apiKey: { query: key, keys: { file: demo/api-keys.txt } } }
              rules:
                - { selector: demo.user.v1.UserService.GetUser, requires: [appkeys, querykeys] }
                - { selector: demo.echo.v1.EchoService.Metadata, allOf: [appkeys, querykeys] }
            """
        let config = try GatewayConfig.parse(yaml: demoConfigYAML(backendPort: 1, extra: extra))
        let snapshot = try GatewaySnapshot(config: config, baseDirectory: repositoryRoot)
        let text = OpenAPIDocument.jsonText(of: snapshot)
        let path = try Self.file(text)
        defer { try? FileManager.default.removeItem(atPath: path) }
        let result = try await TestTool.run("openapi-spec-validator", [path])
        #expect(result.status == 0, "\(result.text)\(result.stderr)")
        let document = try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
        let components = try #require(document["components"] as? [String: Any])
        let schemes = try #require(components["securitySchemes"] as? [String: [String: String]])
        #expect(schemes["appkeys"]?["in"] == "header")
        #expect(schemes["appkeys"]?["name"] == "appkey")
        #expect(schemes["appkeys.id"]?["name"] == "appid")
        #expect(schemes["querykeys"]?["in"] == "query")
        let paths = try #require(document["paths"] as? [String: [String: [String: Any]]])
        let getUser = try #require(paths["/v1/users/{id}"]?["get"]?["security"] as? [[String: [String]]])
        #expect(getUser.map { $0.keys.sorted() } == [["appkeys", "appkeys.id"], ["querykeys"]])
        let metadata = try #require(paths["/v1/metadata"]?["get"]?["security"] as? [[String: [String]]])
        #expect(metadata.map { $0.keys.sorted() } == [["appkeys", "appkeys.id", "querykeys"]])
        #expect(paths["/v1/echo"]?["get"]?["security"] == nil)
    }

    /// One operation per binding (additional bindings too), path templates with one parameter
    /// per variable, query parameters by dotted JSON name, the proto3 JSON types, streams.
    @Test func operationsAndSchemasFollowTheRoutesAndTheJSONMapping() async throws {
        try await withGateway(extraConfig: AdminEndpointTests.admin) { harness in
            let doc = try await Self.document(harness).tree
            #expect(doc["openapi"].string == "3.1.0")
            let paths = doc["paths"]
            let ids = paths.mapping.values.flatMap { $0.mapping.values.compactMap { $0["operationId"].string } }
            #expect(ids.count == Set(ids).count, "operationIds are unique")
            #expect(ids.filter { $0.hasPrefix("demo.echo.v1.EchoService.Echo") }.count >= 4, "\(ids)")
            #expect(ids.count == harness.gateway.snapshot.plans.count, "one operation per binding")

            // `{f_string=shelves/*/books/*}`: one parameter, its segments as a pattern.
            let shelfParameter = paths["/v1/{f_string}"]["get"]["parameters"][0]
            #expect(shelfParameter["in"].string == "path")
            #expect(shelfParameter["schema"]["pattern"].string?.hasPrefix("^shelves/[^/]+") == true)

            let echo = paths["/v1/echo"]["get"]["parameters"].array
            let query = Dictionary(
                echo.map { ($0["name"].string ?? "", $0["schema"]) },
                uniquingKeysWith: { a, _ in a }
            )
            #expect(query["nested.label"]?["type"].string == "string", "nested fields by dotted name")
            #expect(query["fInt64"]?["type"].string == "string")
            #expect(query["fInt64"]?["format"].string == "int64")
            #expect(query["numbers"]?["type"].string == "array", "repeated fields as arrays")
            #expect(query["color"]?["enum"].strings.contains("RED") == true, "enums by name")

            let schemas = doc["components"]["schemas"]
            let everything = schemas["demo.echo.v1.Everything"]["properties"]
            #expect(everything["fBytes"]["format"].string == "byte")
            #expect(everything["counts"]["type"].string == "object")
            #expect(everything["counts"]["additionalProperties"].value != nil, "maps as additionalProperties")
            #expect(schemas["google.rpc.Status"]["properties"]["code"]["type"].string == "integer")

            // Server streaming: NDJSON and SSE; client streaming: NDJSON (or one JSON value).
            let chunks = try #require(paths.mapping.first { $0.key.hasSuffix(":chunks") }?.value["get"])
            #expect(
                Set(chunks["responses"]["200"]["content"].mapping.keys) == [
                    "application/x-ndjson", "text/event-stream",
                ]
            )
            let chat = paths["/v1/chat"]["post"]
            #expect(chat["requestBody"]["content"]["application/x-ndjson"].value != nil)
            #expect(chat["responses"]["default"]["$ref"].string == "#/components/responses/Error")
            // The protos' comments (the demo's set keeps its source info).
            #expect(
                paths["/v1/users/{id}"]["get"]["description"].string
                    == "Returns the user with this id; NOT_FOUND for ids the backend does not know."
            )
            // A raw download: the bytes themselves.
            let download = paths["/v1/files/{name}"]["get"]["responses"]["200"]["content"]
            #expect(download.mapping.values.first?["schema"]["format"].string == "binary")
        }
    }

    /// schemathesis, generating requests from the document against the running gateway (a few
    /// hundred cases per operation at most, fixed seed), finds no server error and no response
    /// that contradicts the document. EchoService.Fail answers the error it is asked for (500
    /// for INTERNAL), so it is left out.
    @Test func schemathesisFindsNoServerErrorAndNoSchemaViolation() async throws {
        try await withGateway(extraConfig: AdminEndpointTests.admin) { harness in
            let path = try Self.file(try await Self.document(harness).text)
            defer { try? FileManager.default.removeItem(atPath: path) }
            let result = try await TestTool.run(
                "schemathesis",
                [
                    "run", path, "--url", "http://127.0.0.1:\(harness.gatewayPort)",
                    "--checks", "not_a_server_error,response_schema_conformance",
                    "--max-examples", "10", "--seed", "1", "--workers", "1", "--no-color",
                    "--generation-database", "none", "--request-timeout", "10",
                    "--exclude-operation-id", "demo.echo.v1.EchoService.Fail",
                    // It rarely makes a path parameter with '/' in it, so the multi-segment
                    // variables' patterns (`^shelves/[^/]+/books/[^/]+$`) get few cases, not none.
                    "--suppress-health-check", "filter_too_much",
                ],
                timeoutSeconds: 300
            )
            #expect(result.status == 0, "\(result.text.suffix(4000))\(result.stderr)")
            let summary = try #require(
                result.text.firstMatch(of: #/(\d+) generated, (\d+) passed/#),
                "\(result.text.suffix(2000))"
            )
            #expect(Int(summary.1) ?? 0 >= 500, "a run of hundreds of cases: \(summary.0)")
            #expect(summary.1 == summary.2)
        }
    }

    /// Leading comments become descriptions (operations, messages, fields, tags), and
    /// `deprecated` options carry over.
    @Test func commentsAndDeprecationsComeFromTheProtos() throws {
        let folder = try ProtoSourcesTests.folder([
            "shop.proto": """
            syntax = "proto3";
            package shop.v1;
            import "google/api/annotations.proto";

            // Orders placed in the shop.
            service Orders {
              // Looks an order up.
              rpc GetOrder(Order) returns (Order) { option (google.api.http) = { get: "/v1/orders/{id}" }; }
              // Use GetOrder.
              rpc FindOrder(Order) returns (Order) {
                option deprecated = true;
                option (google.api.http) = { get: "/v1/find/{id}" };
              }
            }

            // An order.
            message Order {
              // Its id, as the shop prints it.
              string id = 1;
              int32 old_total = 2 [deprecated = true];
            }
            """
        ])
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let snapshot = try ProtoSourcesTests.build(protos: ["\(folder)/shop.proto"])
        let doc = YAMLTree(try JSONSerialization.jsonObject(with: Data(OpenAPIDocument.jsonText(of: snapshot).utf8)))
        #expect(doc["tags"][0]["description"].string == "Orders placed in the shop.")
        #expect(doc["paths"]["/v1/orders/{id}"]["get"]["description"].string == "Looks an order up.")
        #expect(doc["paths"]["/v1/orders/{id}"]["get"]["deprecated"].value == nil)
        #expect(doc["paths"]["/v1/find/{id}"]["get"]["deprecated"].bool == true)
        let order = doc["components"]["schemas"]["shop.v1.Order"]
        #expect(order["description"].string == "An order.")
        #expect(order["properties"]["id"]["description"].string == "Its id, as the shop prints it.")
        #expect(order["properties"]["oldTotal"]["deprecated"].bool == true)
    }

    /// `portico openapi --config Gateway.yaml` prints what the admin listener serves; `--yaml`
    /// is the same document.
    @Test func theCommandPrintsTheDocumentAsJSONAndYAML() async throws {
        let executable = try #require(ServeCommandTests.executable, "portico is not built")
        let config = "\(repositoryRoot)/Gateway.yaml"
        let json = try await runTool(executable, ["openapi", "--config", config])
        #expect(json.status == 0, "\(json.stderr)")
        let snapshot = try GatewaySnapshot.load(configPath: config)
        #expect(json.text == OpenAPIDocument.jsonText(of: snapshot) + "\n")
        let yaml = try await runTool(executable, ["openapi", "--config", config, "--yaml"])
        #expect(yaml.status == 0, "\(yaml.stderr)")
        let fromYAML = try #require(try Yams.load(yaml: yaml.text) as? NSDictionary)
        let fromJSON = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout)) as? NSDictionary)
        #expect(fromYAML == fromJSON)
        #expect(yaml.text.contains("openapi: 3.1.0"))
        #expect(yaml.text.contains("\"200\":"), "status keys stay strings")
    }
}
