import Foundation
import NIOConcurrencyHelpers
import Prometheus

/// Where access-log lines go: standard output by default (``StandardOutputSink``); tests inject
/// their own. Called on the writer's thread only, with whole lines; it may block.
public protocol AccessLogSink: Sendable {
    /// Writes `bytes` (one or more complete lines, each ending in `\n`).
    func write(_ bytes: [UInt8])
}

/// Writes to file descriptor 1, retrying short writes.
public struct StandardOutputSink: AccessLogSink {
    /// The sink.
    public init() {}

    /// Writes every byte to stdout (or gives up on an error other than `EINTR`).
    public func write(_ bytes: [UInt8]) {
        bytes.withUnsafeBytes { raw in
            var offset = 0
            while offset < raw.count {
                let written = Foundation.write(1, raw.baseAddress! + offset, raw.count - offset)
                if written < 0 {
                    if errno == EINTR { continue }
                    return
                }
                offset += written
            }
        }
    }
}

/// Takes access-log lines from the event loops and writes them on a thread of its own, so a slow
/// stdout never stalls a request: lines accumulate in a bounded buffer and go out together, at
/// most every ``interval`` (or as fast as a slow sink takes them): one write per batch, not per
/// line, and no thread wake-up per line. A line that does not fit is dropped and counted in
/// `portico_access_log_dropped_total`.
///
/// Two buffers swap between the loops and the writer, so steady state allocates nothing.
final class AccessLogWriter: Sendable {
    private enum State {
        static let empty = 0
        /// Lines to write, or the writer is asked to stop.
        static let ready = 1
    }

    /// The most bytes waiting for the sink; more are dropped.
    let capacity: Int
    /// The pause after each batch, while lines gather for the next.
    let interval: Duration
    private let sink: any AccessLogSink
    private let dropped: Counter
    /// Guards ``pending``; its value says whether there is anything to write (or to stop).
    private let lock = ConditionLock(value: State.empty)
    private nonisolated(unsafe) var pending: [UInt8] = []
    private nonisolated(unsafe) var stopping = false
    private let finished = ConditionLock(value: false)

    /// Starts the writer's thread.
    /// - Parameters:
    ///   - sink: Where lines go.
    ///   - capacity: The most bytes held while the sink is busy.
    ///   - interval: The pause after each batch.
    ///   - dropped: Counts the lines that did not fit.
    init(sink: any AccessLogSink, capacity: Int = 1 << 20, interval: Duration = .milliseconds(10), dropped: Counter) {
        self.sink = sink
        self.capacity = capacity
        self.interval = interval
        self.dropped = dropped
        pending.reserveCapacity(capacity)
        let thread = Thread { [self] in self.run() }
        thread.name = "portico-access-log"
        thread.start()
    }

    /// Queues one line (ending in `\n`); drops and counts it when the buffer is full or the writer
    /// has stopped. Never blocks on the sink.
    /// - Returns: whether the line was queued.
    @discardableResult
    func submit(_ line: UnsafeRawBufferPointer) -> Bool {
        lock.lock()
        guard !stopping, pending.count + line.count <= capacity else {
            lock.unlock()
            dropped.increment()
            return false
        }
        pending.append(contentsOf: line)
        lock.unlock(withValue: State.ready)
        return true
    }

    /// Writes what is queued and stops the thread; lines submitted afterwards are dropped.
    func shutdown() {
        lock.lock()
        let first = !stopping
        stopping = true
        lock.unlock(withValue: State.ready)
        guard first else { return }
        finished.lock(whenValue: true)
        finished.unlock()
    }

    private func run() {
        var spare: [UInt8] = []
        spare.reserveCapacity(capacity)
        while true {
            lock.lock(whenValue: State.ready)
            swap(&pending, &spare)
            let stop = stopping
            lock.unlock(withValue: stop ? State.ready : State.empty)
            if !spare.isEmpty {
                sink.write(spare)
                spare.removeAll(keepingCapacity: true)
            }
            if stop { break }
            // Lines gather meanwhile; the loops' submits find nobody waiting to wake.
            let (seconds, attoseconds) = interval.components
            Thread.sleep(forTimeInterval: Double(seconds) + Double(attoseconds) / 1e18)
        }
        finished.lock()
        finished.unlock(withValue: true)
    }
}
