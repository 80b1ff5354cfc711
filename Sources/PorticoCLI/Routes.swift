import ArgumentParser
import Gateway

/// `portico routes --config Gateway.yaml`: the route table a server started from the file would
/// serve (what its admin listener's `GET /routes` answers), one route per line.
struct Routes: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Print the route table of a Gateway.yaml (as GET /routes on the admin listener)."
    )

    @Option(name: .shortAndLong, help: "Path to Gateway.yaml.")
    var config: String = "Gateway.yaml"

    func run() async throws {
        let snapshot: GatewaySnapshot
        do {
            snapshot = try GatewaySnapshot.load(configPath: config)
        } catch {
            printError("\(error)")
            throw ExitCode(1)
        }
        printRoutes(of: snapshot)
    }
}

/// Prints every route of `snapshot`, one per line (``RouteListing/line``).
func printRoutes(of snapshot: GatewaySnapshot) {
    for row in RouteListing.rows(of: snapshot) {
        print("  \(row.line)")
    }
}
