import NIOCore
import Upstream

/// Pauses an upstream stream while the client's socket is full and resumes it once it drains:
/// the half of end-to-end backpressure that slows a backend down to its client's pace.
struct UpstreamReceiveGate {
    /// Whether the upstream stream is paused.
    private(set) var isPaused = false

    /// Follows the client socket's writability (call after each write and on every change).
    mutating func follow(clientWritable: Bool, call: UpstreamCall) {
        if clientWritable, isPaused {
            isPaused = false
            call.resumeReceiving()
        } else if !clientWritable, !isPaused {
            isPaused = true
            call.pauseReceiving()
        }
    }
}

/// A writer that flushes once per event-loop tick, so a burst of messages costs one write
/// syscall instead of one per message.
protocol TickFlushing: AnyObject {
    /// Whether a flush is already scheduled for this tick.
    var flushScheduled: Bool { get set }
    /// Writes what the writer held back during the tick, just before the tick's flush.
    func writeHeldBack(context: ChannelHandlerContext)
}

extension TickFlushing {
    /// Holds nothing back.
    func writeHeldBack(context: ChannelHandlerContext) {}

    /// Schedules a flush at the end of this tick unless one is already scheduled.
    func scheduleFlush(context: ChannelHandlerContext) {
        guard !flushScheduled else { return }
        flushScheduled = true
        context.eventLoop.assumeIsolated().execute {
            self.flushScheduled = false
            self.writeHeldBack(context: context)
            context.flush()
        }
    }
}
