import Logging
import NIOCore

/// Liveness of an idle or quiet connection (keepalive PINGs, idle reaping; the rules are in
/// ``UpstreamConnectionStateMachine``): one check scheduled on the event loop per connection,
/// re-armed at the next deadline the state machine computes from the loop's clock.
extension UpstreamConnection {
    /// Schedules the liveness check at `deadline` (nothing when nil).
    func armLivenessCheck(at deadline: NIODeadline?, context: ChannelHandlerContext) {
        guard let deadline else { return }
        self.livenessCheck = context.eventLoop.assumeIsolated().scheduleTask(deadline: deadline) { [self] in
            self.livenessCheckFired()
        }
    }

    private func livenessCheckFired() {
        self.livenessCheck = nil
        guard let context = self.context else { return }
        switch self.machine.livenessCheckFired(now: context.eventLoop.now, openStreams: self.streams.count) {
        case .ignore:
            return
        case .keepaliveTimedOut:
            self.logger.debug("upstream keepalive timeout", metadata: ["target": "\(self.target)"])
            self.closed(
                reason:
                    "connection to \(self.target) lost: keepalive PING not answered within \(self.configuration.keepaliveTimeout)"
            )
            context.close(promise: nil)
        case .idleTimedOut:
            self.logger.debug("reaping idle upstream connection", metadata: ["target": "\(self.target)"])
            self.closed(reason: "idle connection to \(self.target) closed")
            self.session?.terminate(errorCode: 0)
            self.flush()
            context.close(promise: nil)
        case .ping(let next):
            self.session?.submitPing()
            self.outputChanged()
            self.armLivenessCheck(at: next, context: context)
        case .rearm(let next):
            self.armLivenessCheck(at: next, context: context)
        }
    }
}
