import ArgumentParser
import Gateway

/// `portico version`: prints the version (the one `portico_build_info{version}` reports).
struct Version: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Print Portico's version.")

    func run() {
        print(PorticoVersion.current)
    }
}
