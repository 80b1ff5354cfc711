import ArgumentParser
import Gateway

/// `portico openapi --config Gateway.yaml [--yaml]`: the OpenAPI 3.1 document a server started
/// from the file would serve at its admin listener's `GET /openapi.json`.
struct OpenAPI: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "openapi",
        abstract:
            "Print the OpenAPI 3.1 document of a Gateway.yaml's routes (as GET /openapi.json on the admin listener)."
    )

    @Option(name: .shortAndLong, help: "Path to Gateway.yaml.")
    var config: String = "Gateway.yaml"

    @Flag(help: "YAML instead of JSON.")
    var yaml = false

    @Flag(help: reflectHelp)
    var reflect = false

    func run() async throws {
        let snapshot = try await loadSnapshotOrExit(config, reflect: reflect)
        let document = OpenAPIDocument.json(of: snapshot)
        if yaml {
            print(try document.yamlText(), terminator: "")
        } else {
            print(OpenAPIDocument.jsonText(of: snapshot))
        }
    }
}
