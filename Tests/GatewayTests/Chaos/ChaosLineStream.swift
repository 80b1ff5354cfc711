import Foundation
import NIOConcurrencyHelpers
import NIOHTTP1

/// A streamed HTTP response read line by line as it arrives (NDJSON, SSE, a chat's replies),
/// without keeping what was already read.
struct ChaosLineStream {
    /// The response's status, once its head arrived (0 before).
    private(set) var status = 0
    /// Whether the response ended (its last chunk, or the connection closed).
    private(set) var ended = false
    /// Whether it ended with its final chunk rather than a closed connection.
    private(set) var endedCleanly = false
    private var events: AsyncStream<ResponseEvent>.Iterator
    private var pending: [UInt8] = []
    private var lines: [String] = []

    /// Reads the response of `client`.
    init(_ client: StreamingTestClient) {
        self.events = client.events.makeAsyncIterator()
    }

    /// The next complete line (without its `\n`), or nil once the response ended. A last line
    /// without `\n` is returned too.
    mutating func nextLine() async -> String? {
        while lines.isEmpty {
            guard !ended, let event = await events.next() else {
                ended = true
                if pending.isEmpty { return nil }
                defer { pending = [] }
                return String(decoding: pending, as: UTF8.self)
            }
            switch event {
            case .head(let head):
                status = Int(head.status.code)
            case .body(let bytes):
                split(bytes)
            case .end:
                ended = true
                endedCleanly = true
            case .closed:
                ended = true
            }
        }
        return lines.removeFirst()
    }

    /// Reads until the response ends; the lines left.
    mutating func rest() async -> [String] {
        var left: [String] = []
        while let line = await nextLine() { left.append(line) }
        return left
    }

    private mutating func split(_ bytes: [UInt8]) {
        var start = bytes.startIndex
        while let newline = bytes[start...].firstIndex(of: UInt8(ascii: "\n")) {
            pending += bytes[start..<newline]
            lines.append(String(decoding: pending, as: UTF8.self))
            pending = []
            start = newline + 1
        }
        pending += bytes[start...]
    }
}

/// One call of a chaos scenario: whether it did exactly what it should, how long it took, and
/// what went wrong when it did not.
struct ChaosOutcome: Sendable {
    /// Whether the call completed correctly (or, for a deadline check, failed as it must).
    var ok: Bool
    /// From the request's start to its end, in seconds.
    var seconds: Double
    /// What went wrong, or what the call ended with.
    var detail: String

    /// Runs `body` (nil: correct; else what was wrong) under a watchdog: after `limit` the
    /// call counts as hung and `connection` is closed, which makes `body` return.
    static func measure(
        limit: Duration,
        closing connection: some ChaosConnection,
        _ body: () async throws -> String?
    ) async -> ChaosOutcome {
        let start = ContinuousClock.now
        let fired = NIOLockedValueBox(false)
        let watchdog = Task {
            try await Task.sleep(for: limit)
            fired.withLockedValue { $0 = true }
            await connection.close()
        }
        let problem: String?
        do {
            problem = try await body()
        } catch {
            problem = "\(error)"
        }
        watchdog.cancel()
        let seconds = (ContinuousClock.now - start).seconds
        if fired.withLockedValue({ $0 }) {
            return ChaosOutcome(ok: false, seconds: seconds, detail: "hung: no end within \(limit)")
        }
        return ChaosOutcome(ok: problem == nil, seconds: seconds, detail: problem ?? "")
    }
}

/// A client connection a watchdog can close.
protocol ChaosConnection: Sendable {
    /// Closes the connection; what waits on it ends.
    func close() async
}

extension TestHTTPClient: ChaosConnection {}
extension StreamingTestClient: ChaosConnection {}
extension WebSocketTestClient: ChaosConnection {}

extension Duration {
    /// The duration in seconds, as a floating-point number.
    var seconds: Double {
        Double(components.seconds) + Double(components.attoseconds) / 1e18
    }
}
