import ArgumentParser
import NIOCore

/// `portico probe http://127.0.0.1:9901/readyz`: one GET; exit 0 on a 2xx answer, 1 on any
/// other answer or failure. A health check for images without curl: the Dockerfile's
/// `HEALTHCHECK` and Compose's `healthcheck` run it inside the container.
struct Probe: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "GET an http:// URL (an admin endpoint such as /readyz); exit 0 on 2xx, else 1.",
        discussion: "Prints the status and the start of the answer's body (what /readyz says is missing)."
    )

    @Argument(help: "The URL to GET, e.g. http://127.0.0.1:9901/readyz.")
    var url: String

    @Option(help: "Seconds to wait for the whole answer.")
    var timeout: Double = 2

    func validate() throws {
        _ = try ProbeTarget(self.url)
        guard self.timeout > 0 else { throw ValidationError("--timeout must be more than 0") }
    }

    func run() async throws {
        let target = try ProbeTarget(self.url)
        let answer: ProbeAnswer
        do {
            answer = try await HTTPProbe.get(target, timeout: .milliseconds(Int64(self.timeout * 1000)))
        } catch {
            printError("probe \(self.url): \(error)")
            throw ExitCode(1)
        }
        var body = answer.body
        while body.last?.isNewline == true { body.removeLast() }
        print("\(answer.status) \(body)")
        guard (200..<300).contains(answer.status) else { throw ExitCode(1) }
    }
}

/// Where a probe connects and what it asks for: `http://HOST[:PORT][/PATH]` (HOST may be an
/// IPv6 literal in brackets; PORT defaults to 80, PATH to `/`).
struct ProbeTarget: Equatable {
    /// The host to connect to (brackets removed).
    var host: String
    /// The TCP port.
    var port: Int
    /// The request target, starting with `/`.
    var path: String

    /// Parses `url`; anything but a plain `http://` URL with a valid port is a validation error.
    init(_ url: String) throws {
        guard url.hasPrefix("http://") else {
            throw ValidationError("\(url): only http:// URLs can be probed")
        }
        let rest = url.dropFirst("http://".count)
        let slash = rest.firstIndex(of: "/") ?? rest.endIndex
        let authority = rest[..<slash]
        self.path = slash == rest.endIndex ? "/" : String(rest[slash...])
        var host = Substring(authority)
        var port = 80
        if let colon = authority.lastIndex(of: ":"), !authority[colon...].contains("]") {
            guard let number = Int(authority[authority.index(after: colon)...]), (1...65535).contains(number) else {
                throw ValidationError("\(url): invalid port")
            }
            port = number
            host = authority[..<colon]
        }
        if host.hasPrefix("[") && host.hasSuffix("]") { host = host.dropFirst().dropLast() }
        guard !host.isEmpty else { throw ValidationError("\(url): no host") }
        self.host = String(host)
        self.port = port
    }
}
