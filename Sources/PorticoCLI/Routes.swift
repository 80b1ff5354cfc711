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
        let snapshot = try loadSnapshotOrExit(config)
        printRoutes(of: snapshot)
    }
}

/// The snapshot a server started from `config` would serve; on any problem, prints every one
/// (with its YAML path) to standard error and exits 1.
func loadSnapshotOrExit(_ config: String) throws -> GatewaySnapshot {
    do {
        return try GatewaySnapshot.load(configPath: config)
    } catch {
        printError("\(error)")
        throw ExitCode(1)
    }
}

/// Prints every route of `snapshot`, one per line (``RouteListing/line``).
func printRoutes(of snapshot: GatewaySnapshot) {
    for row in RouteListing.rows(of: snapshot) {
        print("  \(row.line)")
    }
}
