import FuzzSupport
import Logging
import NIOCore
import NIOEmbedded
import NIOHTTP1

@testable import Gateway
@testable import Upstream

/// Client bytes into the real HTTP/1.1 front end (fuzz target d): NIO's HTTP codec and
/// `HTTPConnectionHandler` on an `EmbeddedChannel`, over a snapshot of the demo's routes built
/// from `FrontEndFixture.yaml`. No socket: the backend's connection is an `EmbeddedChannel` with a
/// real `UpstreamConnection` (nghttp2), opened through `Cluster`'s `openChannel` hook, and the
/// backend itself is a fake that answers from the input.
///
/// Input: the request chunk size (byte + 1), a clock advance (byte × 100 ms, after the
/// exchange: deadlines and idle timeouts), the backend's mode (bit 0 set: the rest after the
/// request is raw HTTP/2 server bytes after its SETTINGS; clear: a 200 with the messages below
/// and `grpc-status` from the other bits), the request's length (two bytes), the request bytes,
/// then the backend's part: messages as (two-byte length, bytes), or raw bytes.
///
/// Invariant: nothing traps, whatever the client and the backend send.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzHTTPFrontEnd(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    var input = FuzzInput(data, size)
    let chunkSize = Int(input.byte()) + 1
    let advance = Int64(input.byte()) * 100
    let backendMode = input.byte()
    let request = input.take(input.uint16())
    let backendAnswer = FakeBackend.answer(mode: backendMode, &input)

    let eventLoop = EmbeddedEventLoop()
    let backend = FakeBackend(loop: eventLoop)
    let (gatewayLoop, clusters) = FrontEnd.loop(on: eventLoop, backend: backend)
    // A loop's share holds its cluster unowned (the server owns clusters): keep them to the end.
    defer { withExtendedLifetime(clusters) {} }
    let channel = EmbeddedChannel(loop: eventLoop)
    do {
        let sync = channel.pipeline.syncOperations
        try sync.configureHTTPServerPipeline(withPipeliningAssistance: false, withErrorHandling: false)
        try sync.addHandler(HTTPConnectionHandler(loop: gatewayLoop))
        try channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 40_000)).wait()
    } catch {
        fatalError("cannot set up the pipeline: \(error)")
    }

    var offset = 0
    while offset < request.count, channel.isActive {
        let end = min(offset + chunkSize, request.count)
        _ = try? channel.writeInbound(ByteBuffer(bytes: request[offset..<end]))
        offset = end
        exchange(channel, backend, answer: backendAnswer)
    }
    exchange(channel, backend, answer: backendAnswer)
    eventLoop.advanceTime(by: .milliseconds(advance))
    exchange(channel, backend, answer: backendAnswer)
    _ = try? channel.finish()
    backend.finish()
    eventLoop.run()
    return 0
}

/// Runs the loop and moves bytes between the gateway and the fake backend until both are quiet.
private func exchange(_ channel: EmbeddedChannel, _ backend: FakeBackend, answer: [UInt8]) {
    var rounds = 0
    repeat {
        channel.embeddedEventLoop.run()
        while (try? channel.readOutbound(as: IOData.self)) != nil {}
        rounds += 1
    } while backend.pump(answer: answer) && rounds < 16
}

/// The snapshot and the loop every iteration shares (built once: the build reads files).
enum FrontEnd {
    /// Logs nothing.
    static let logger = Logger(label: "fuzz") { _ in SwiftLogNoOpLogHandler() }
    /// The fixture's snapshot.
    static let snapshot: GatewaySnapshot = {
        let text = String(decoding: FuzzFixtures.read("Fuzz/Fixtures/FrontEndFixture.yaml"), as: UTF8.self)
        do {
            let config = try GatewayConfig.parse(yaml: text)
            return try SnapshotBuilder(config: config, baseDirectory: FuzzFixtures.repositoryRoot.path).build()
        } catch {
            fatalError("Fuzz/Fixtures/FrontEndFixture.yaml: \(error)")
        }
    }()
    /// The metrics every iteration records into.
    static let metrics = GatewayMetrics(registry: .init())
    /// The access log (lines dropped).
    static let accessLog = AccessLogWriter(sink: NullSink(), dropped: metrics.accessLogDropped)

    /// A gateway loop on `eventLoop` whose clusters connect to `backend`, and those clusters.
    static func loop(on eventLoop: EmbeddedEventLoop, backend: FakeBackend) -> (GatewayLoop, [Cluster]) {
        let loop = GatewayLoop(
            index: 0,
            eventLoop: eventLoop,
            logger: logger,
            telemetry: LoopTelemetry(metrics: metrics, accessLog: accessLog)
        )
        let clusters = snapshot.backends.map { definition in
            Cluster(
                configuration: definition.cluster,
                eventLoops: [eventLoop],
                resolver: SystemHostResolver(),
                logger: logger,
                observer: nil,
                openChannel: { client in backend.open(client) }
            )
        }
        loop.current = LiveSnapshot(snapshot: snapshot, clusters: clusters.map { $0.onLoop(0) })
        return (loop, clusters)
    }
}

/// Access-log lines go nowhere.
struct NullSink: AccessLogSink {
    /// Drops the lines.
    func write(_ bytes: [UInt8]) {}
}

/// The executable's entry point (see ``runLibFuzzer(_:_:_:)``).
@_cdecl("FuzzHTTPFrontEnd_main")
public func fuzzHTTPFrontEndMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    runLibFuzzer(argc, argv, fuzzHTTPFrontEnd)
}
