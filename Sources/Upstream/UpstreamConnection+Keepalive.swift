import Logging
import NIOCore

/// Liveness of an idle or quiet connection:
/// - keepalive: after ``UpstreamConfiguration/keepaliveInterval`` without a byte from the backend,
///   a PING goes out; no acknowledgement within ``UpstreamConfiguration/keepaliveTimeout`` closes
///   the connection (its calls fail `UNAVAILABLE`; the next call reconnects), so a backend that
///   vanished without a FIN (a dead host, a dropped NAT entry) is noticed;
/// - reaping: a connection with no stream for ``UpstreamConfiguration/idleTimeout`` is closed, so
///   idle connections to backends that scaled away do not pile up.
/// One scheduled check per connection, re-armed at the next deadline.
extension UpstreamConnection {
    func armLivenessCheck(context: ChannelHandlerContext) {
        guard let at = self.nextLivenessDeadline() else { return }
        self.livenessCheck = context.eventLoop.assumeIsolated().scheduleTask(deadline: at) { [self] in
            self.livenessCheckFired()
        }
    }

    private func nextLivenessDeadline() -> NIODeadline? {
        var next: NIODeadline?
        func consider(_ deadline: NIODeadline) { next = min(next ?? deadline, deadline) }
        if let sent = self.pingSentAt {
            consider(sent + self.configuration.keepaliveTimeout)
        } else if let interval = self.configuration.keepaliveInterval {
            consider(self.lastRead + interval)
        }
        if let idle = self.configuration.idleTimeout, let since = self.idleSince {
            consider(since + idle)
        } else if let idle = self.configuration.idleTimeout {
            consider(.now() + idle)  // busy now: look again later
        }
        return next
    }

    private func livenessCheckFired() {
        self.livenessCheck = nil
        guard let context = self.context, self.isOpen, !self.isClosed else { return }
        let now = NIODeadline.now()
        if let sent = self.pingSentAt, now >= sent + self.configuration.keepaliveTimeout {
            self.logger.debug("upstream keepalive timeout", metadata: ["target": "\(self.target)"])
            self.closed(reason: "connection to \(self.target) lost: keepalive PING not answered within \(self.configuration.keepaliveTimeout)")
            context.close(promise: nil)
            return
        }
        if let idle = self.configuration.idleTimeout, let since = self.idleSince, self.streams.isEmpty, now >= since + idle {
            self.logger.debug("reaping idle upstream connection", metadata: ["target": "\(self.target)"])
            self.closed(reason: "idle connection to \(self.target) closed")
            self.session?.terminate(errorCode: 0)
            self.flush()
            context.close(promise: nil)
            return
        }
        if self.pingSentAt == nil, let interval = self.configuration.keepaliveInterval, now >= self.lastRead + interval {
            self.pingSentAt = now
            self.session?.submitPing()
            self.outputChanged()
        }
        self.armLivenessCheck(context: context)
    }
}
