import ArgumentParser

/// `portico`: a REST/JSON front end for gRPC services.
@main
struct PorticoCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "portico",
        abstract: "A REST/JSON to gRPC gateway.",
        subcommands: [Serve.self, Check.self, Routes.self, OpenAPI.self, Probe.self, Version.self],
        defaultSubcommand: Serve.self
    )
}
