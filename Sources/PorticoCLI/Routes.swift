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

    @Flag(help: reflectHelp)
    var reflect = false

    func run() async throws {
        let snapshot = try await loadSnapshotOrExit(config, reflect: reflect)
        printRoutes(of: snapshot)
    }
}

/// The help of `--reflect` (check, routes, openapi).
let reflectHelp: ArgumentHelp =
    "Ask the backends with reflection for their schemas now (without it, their routes are left out)."

/// The snapshot a server started from `config` would serve (with the schemas of backends with
/// `reflection` fetched now when `reflect`); on any problem, prints every one (with its YAML
/// path) to standard error and exits 1.
func loadSnapshotOrExit(_ config: String, reflect: Bool = false) async throws -> GatewaySnapshot {
    do throws(ConfigError) {
        let snapshot = try GatewaySnapshot.load(configPath: config)
        guard reflect else { return snapshot }
        do {
            return try await snapshot.reflectingOnce()
        } catch {
            throw error.titled(config)
        }
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
