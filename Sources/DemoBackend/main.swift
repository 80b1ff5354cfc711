import ArgumentParser
import DemoServices
import Dispatch
import Foundation

/// `demo-backend`: serves the demo gRPC services until SIGINT or SIGTERM.
@main
struct DemoBackendCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo-backend",
        abstract: "Serves the Portico demo gRPC services (user, file, upfile, chat, echo) over plaintext HTTP/2."
    )

    @Option(help: "The address to listen on (an IPv4 or IPv6 literal, or localhost).")
    var host = "127.0.0.1"

    @Option(help: "The port to listen on; 0 picks a free port (printed on the first line).")
    var port = 50051

    @Option(help: "Listen on this unix socket instead of host:port (portico: endpoints: [unix:<path>]).")
    var unixSocket: String?

    @Option(help: "Serve TLS with this PEM certificate chain (with --tls-key).")
    var tlsCert: String?

    @Option(help: "The PEM private key of --tls-cert.")
    var tlsKey: String?

    @Option(help: "Require client certificates signed by this PEM CA (mutual TLS; with --tls-cert).")
    var tlsClientCa: String?

    @Option(name: .customLong("files"), help: "The directory the file services read and write.")
    var files = "./demo-files"

    @Option(help: "Seconds in-flight calls get to finish on shutdown before they are cancelled.")
    var shutdownGrace: Double = 5

    func run() async throws {
        try DemoSampleFiles.install(in: self.files)
        var options = DemoBackendOptions(host: self.host, port: self.port, filesDirectory: self.files)
        options.unixSocketPath = self.unixSocket
        switch (self.tlsCert, self.tlsKey) {
        case (let cert?, let key?):
            options.tls = DemoBackendTLS(
                certificateChainFile: cert,
                privateKeyFile: key,
                clientCAFile: self.tlsClientCa
            )
        case (nil, nil):
            guard self.tlsClientCa == nil else {
                throw ValidationError("--tls-client-ca needs --tls-cert and --tls-key")
            }
        default:
            throw ValidationError("--tls-cert and --tls-key go together")
        }
        options.shutdownGracePeriod = .milliseconds(Int(self.shutdownGrace * 1000))
        let signals = ShutdownSignals()
        let server = try await DemoBackendServer.start(options)
        // Scripts read the port from this line, so it must be first and reach the pipe at once.
        print("demo-backend listening on \(self.unixSocket.map { "unix:\($0)" } ?? "\(self.host):\(server.port)")")
        fflush(nil)
        let signal = await signals.next()
        FileHandle.standardError.write(Data("demo-backend: \(signal), shutting down\n".utf8))
        await server.stop()
    }
}

/// SIGINT and SIGTERM as an async value: the default handlers are replaced so the process can
/// shut the server down gracefully instead of dying mid-call.
struct ShutdownSignals {
    private let stream: AsyncStream<String>
    private let sources: [any DispatchSourceSignal]

    init() {
        let (stream, continuation) = AsyncStream.makeStream(of: String.self)
        self.stream = stream
        self.sources = [(SIGINT, "SIGINT"), (SIGTERM, "SIGTERM")].map { number, name in
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler { continuation.yield(name) }
            source.resume()
            return source
        }
    }

    /// Waits for the first signal and returns its name.
    func next() async -> String {
        for await name in self.stream {
            return name
        }
        return "end of signals"
    }
}
