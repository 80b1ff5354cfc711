import Foundation
import GRPCNIOTransportHTTP2
import NIOCore
import Synchronization
import Testing
import Upstream

/// Send-side backpressure: bufferedSendBytes / isSendBufferFull / upstreamCallSendBufferDrained
/// against a real grpc-swift-2 server that reads slowly.
@Suite struct UpstreamSendBackpressureTests {
    static let high = 64 << 10
    static let low = 16 << 10

    /// Message `index` of a stream: its index (4 bytes, big-endian), then a pattern derived from it.
    static func message(_ index: Int, size: Int) -> [UInt8] {
        var bytes = withUnsafeBytes(of: UInt32(index).bigEndian) { Array($0) }
        bytes += (4..<size).map { UInt8(truncatingIfNeeded: index &* 7 &+ $0) }
        return bytes
    }

    @Test func slowServerFillsTheBufferAndDrainedResumesTheFeed() async throws {
        let server = try await TestServer.start()
        var configuration = ClientHarness.testConfiguration
        configuration.sendBufferHighWatermark = Self.high
        configuration.sendBufferLowWatermark = Self.low
        let harness = try await ClientHarness(port: server.port, configuration: configuration)
        let count = 192
        let size = 4 << 10
        let stats = FeedStats()

        // About 0.5 s: 192 messages at 2 ms each on the server.
        let outcome = try await withTimeout(seconds: 20) {
            try await harness.call("SlowCollect", metadata: [("x-delay-ms", "2")], timeout: .seconds(20)) {
                call,
                delegate in
                let feeder = Feeder(call: call, count: count, size: size, stats: stats)
                delegate.onDrained = { call in
                    stats.record { $0.drainedBuffered.append(call.bufferedSendBytes) }
                    feeder.feed()
                }
                delegate.onMessage = { call, _ in
                    stats.record { $0.bufferedAtResponse = call.bufferedSendBytes }
                }
                feeder.feed()
            }.get()
        }

        let expected = (0..<count).flatMap { Self.message($0, size: size) }
        #expect(outcome.status == .ok)
        #expect(outcome.messages.count == 1)
        #expect(outcome.messages.first?.count == expected.count)
        #expect(outcome.messages.first == expected, "request bytes arrived out of order or damaged")
        #expect(outcome.eventsAfterFinish == 0)

        let snapshot = stats.snapshot
        // The server absorbs well under half the stream (its 64 KiB window plus a few queued
        // messages), so a caller that respects the watermark must hit it again and again.
        #expect(snapshot.fullCount >= 3, "send buffer reached full only \(snapshot.fullCount) times")
        #expect(snapshot.drainedBuffered.count >= 3)
        // Once per full -> below-low transition: never more drains than fills.
        #expect(snapshot.drainedBuffered.count <= snapshot.fullCount)
        #expect(snapshot.drainedBuffered.allSatisfy { $0 < Self.low }, "\(snapshot.drainedBuffered)")
        // A caller that stops at "full" overshoots by at most one framed message.
        #expect(snapshot.maxBuffered >= Self.high)
        #expect(snapshot.maxBuffered < Self.high + size + 5)
        #expect(snapshot.fedAll)
        #expect(snapshot.bufferedAtResponse == 0)
        try await harness.shutdown()
        await server.stop()
    }

    @Test func bufferedSendBytesCountsPrefixesAndReturnsToZero() async throws {
        let server = try await TestServer.start()
        var configuration = ClientHarness.testConfiguration
        configuration.sendBufferHighWatermark = 1000
        configuration.sendBufferLowWatermark = 100
        let harness = try await ClientHarness(port: server.port, configuration: configuration)
        let readings = Mutex<[Int]>([])
        let outcome = try await withTimeout {
            try await harness.call("Collect") { call, delegate in
                var values = [call.bufferedSendBytes]
                call.send(message: ByteBuffer(bytes: Array(repeating: 1, count: 600)))
                values.append(call.bufferedSendBytes)
                values.append(call.isSendBufferFull ? 1 : 0)
                call.send(message: ByteBuffer(bytes: Array(repeating: 2, count: 395)))
                values.append(call.bufferedSendBytes)
                values.append(call.isSendBufferFull ? 1 : 0)
                call.finish()
                delegate.onMessage = { call, _ in
                    values.append(call.bufferedSendBytes)
                    readings.withLock { $0 = values }
                }
            }.get()
        }
        #expect(outcome.status == .ok)
        #expect(outcome.messages == [Array(repeating: 1, count: 600) + Array(repeating: 2, count: 395)])
        // 605 + 400 = 1005 >= 1000: full; everything taken by the time the response arrives.
        #expect(readings.withLock { $0 } == [0, 605, 0, 1005, 1, 0])
        try await harness.shutdown()
        await server.stop()
    }

    /// Throughput and memory of one large client stream (not part of the normal run). Set
    /// `UPSTREAM_BENCH_MIB` (e.g. 1024) and run in release:
    /// `UPSTREAM_BENCH_MIB=1024 swift test -c release --filter largeUploadBenchmark`.
    @Test(.enabled(if: ProcessInfo.processInfo.environment["UPSTREAM_BENCH_MIB"] != nil))
    func largeUploadBenchmark() async throws {
        let mebibytes = Int(ProcessInfo.processInfo.environment["UPSTREAM_BENCH_MIB"] ?? "") ?? 64
        let server = try await TestServer.start(
            config: .defaults {
                $0.http2.maxFrameSize = 1 << 20
                $0.http2.targetWindowSize = 8 << 20
            }
        )
        let harness = try await ClientHarness(port: server.port)
        let size = 64 << 10
        let count = mebibytes * 16
        let chunk = ByteBuffer(bytes: (0..<size).map { UInt8(truncatingIfNeeded: $0 &* 13) })
        let stats = FeedStats()
        let rssBefore = Self.residentKiB("VmRSS")
        let cpuBefore = try await harness.loop.submit { Self.threadCPUTicks() }.get()
        let started = ContinuousClock.now
        let outcome = try await withTimeout(seconds: 600) {
            try await harness.call("Count", timeout: nil) { call, delegate in
                let feeder = Feeder(call: call, count: count, stats: stats) { _ in chunk }
                delegate.onDrained = { _ in feeder.feed() }
                feeder.feed()
            }.get()
        }
        let elapsed = ContinuousClock.now - started
        let cpuTicks = try await harness.loop.submit { Self.threadCPUTicks() }.get() - cpuBefore
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        #expect(outcome.status == .ok)
        let answer = outcome.messageStrings.first ?? ""
        var checksum: UInt64 = 0
        let first = UInt64(chunk.getInteger(at: 0, as: UInt8.self)!)
        let last = UInt64(chunk.getInteger(at: size - 1, as: UInt8.self)!)
        for index in 0..<count {
            checksum &+= first &* UInt64(index * size + 1) &+ last &* UInt64((index + 1) * size)
        }
        #expect(answer == "\(count):\(count * size):\(checksum)")
        print(
            "largeUploadBenchmark: \(mebibytes) MiB in \(elapsed), \(Int(Double(mebibytes) / seconds)) MiB/s;",
            "client loop CPU \(cpuTicks * 10) ms;",
            "max buffered \(stats.snapshot.maxBuffered) B; RSS \(rssBefore) -> peak \(Self.residentKiB("VmHWM")) KiB"
        )
        try await harness.shutdown()
        await server.stop()
    }

    /// User + system CPU of the calling thread, in clock ticks (10 ms).
    private static func threadCPUTicks() -> Int {
        let stat = (try? String(contentsOfFile: "/proc/thread-self/stat", encoding: .utf8)) ?? ""
        // Fields after the parenthesized command name; utime and stime are fields 14 and 15.
        let fields = stat.split(separator: ")").last?.split(separator: " ") ?? []
        guard fields.count > 12 else { return -1 }
        return (Int(fields[11]) ?? 0) + (Int(fields[12]) ?? 0)
    }

    private static func residentKiB(_ field: String) -> Int {
        let status = (try? String(contentsOfFile: "/proc/self/status", encoding: .utf8)) ?? ""
        let line = status.split(separator: "\n").first { $0.hasPrefix(field + ":") } ?? ""
        return Int(line.split(separator: " ").dropFirst().first ?? "") ?? -1
    }
}

/// Feeds a call while its send buffer is not full; half-closes after the last message.
/// Loop-confined.
private final class Feeder {
    let call: UpstreamCall
    let count: Int
    let stats: FeedStats
    let make: (Int) -> ByteBuffer
    var next = 0

    init(call: UpstreamCall, count: Int, size: Int, stats: FeedStats) {
        self.call = call
        self.count = count
        self.stats = stats
        self.make = { ByteBuffer(bytes: UpstreamSendBackpressureTests.message($0, size: size)) }
    }

    init(call: UpstreamCall, count: Int, stats: FeedStats, make: @escaping (Int) -> ByteBuffer) {
        self.call = call
        self.count = count
        self.stats = stats
        self.make = make
    }

    func feed() {
        var maxBuffered = 0
        while self.next < self.count && !self.call.isSendBufferFull {
            self.call.send(message: self.make(self.next))
            self.next += 1
            maxBuffered = max(maxBuffered, self.call.bufferedSendBytes)
        }
        let full = self.call.isSendBufferFull
        let done = self.next == self.count
        self.stats.record {
            $0.maxBuffered = max($0.maxBuffered, maxBuffered)
            if full { $0.fullCount += 1 }
            $0.fedAll = done
        }
        if done { self.call.finish() }
    }
}

private final class FeedStats: Sendable {
    struct Values {
        var fullCount = 0
        var maxBuffered = 0
        var drainedBuffered: [Int] = []
        var bufferedAtResponse = -1
        var fedAll = false
    }

    private let values = Mutex(Values())
    func record(_ body: (inout Values) -> Void) { self.values.withLock { body(&$0) } }
    var snapshot: Values { self.values.withLock { $0 } }
}
