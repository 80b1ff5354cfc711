import ArgumentParser
import Gateway
import ProtoSchema
import Routing
import Upstream

/// `portico check --config Gateway.yaml`: build everything a server would, print the route
/// table, exit non-zero listing every problem.
struct Check: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Validate a Gateway.yaml and its descriptor sets without serving; print the routes."
    )

    @Option(name: .shortAndLong, help: "Path to Gateway.yaml.")
    var config: String = "Gateway.yaml"

    @Flag(help: reflectHelp)
    var reflect = false

    func run() async throws {
        let snapshot = try await loadSnapshotOrExit(config, reflect: reflect)
        print("\(config): OK")
        print("listen \(snapshot.config.listen)")
        for (name, backend) in snapshot.config.backends.sorted(by: { $0.key < $1.key }) {
            let schema = snapshot.reflected[name].map {
                " (schema from reflection \($0.version): \($0.services.count) services)"
            }
            print("backend \(name): \(backend.endpoints.map(\.description).joined(separator: ", "))\(schema ?? "")")
        }
        print("routes:")
        printRoutes(of: snapshot)
        for name in snapshot.reflectionPending {
            print(
                "note: backend \(name) gives its schema by reflection when serving; its routes are not listed (--reflect asks it now)"
            )
        }
        for service in snapshot.unservedServices {
            print("note: \(service) has HTTP annotations but no backend; its routes are not served")
        }
    }
}

/// Writes a line to standard error.
func printError(_ text: String) {
    var stream = StandardError()
    print(text, to: &stream)
}

/// `TextOutputStream` over stderr.
struct StandardError: TextOutputStream {
    mutating func write(_ string: String) {
        FileHandleStandardError.write(string)
    }
}
