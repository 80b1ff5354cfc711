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

    func run() async throws {
        let snapshot = try loadSnapshotOrExit(config)
        print("\(config): OK")
        print("listen \(snapshot.config.listen)")
        for (name, backend) in snapshot.config.backends.sorted(by: { $0.key < $1.key }) {
            print("backend \(name): \(backend.endpoints.map(\.description).joined(separator: ", "))")
        }
        print("routes:")
        printRoutes(of: snapshot)
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
