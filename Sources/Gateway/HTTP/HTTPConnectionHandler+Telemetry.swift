import NIOCore
import NIOHTTP1

/// The connection's requests as metrics and access-log lines: each request's ``RequestRecord``
/// begins when its head is routed (or, for a request answered before routing — a parse error, a
/// read timeout — when it is answered) and ends when its response is written or the client goes
/// away.
extension HTTPConnectionHandler {
    /// Begins the record of `head`, ending one left open (never expected: one request at a time).
    func beginRecord(_ head: HTTPRequestHead) {
        if record != nil { endRecord(status: 499) }
        record = loop.telemetry.begin(head, config: loop.current.snapshot.config, now: loop.eventLoop.now)
    }

    /// Ends the current request's record with `status`, if one is open.
    func endRecord(status: Int) {
        guard let ended = record.take() else { return }
        loop.telemetry.end(ended, status: status, remote: clientAddress, now: loop.eventLoop.now)
    }

    /// The client went away: ends the record with the status already sent, or 499 (nginx's
    /// "client closed request") when nothing was.
    func recordDisconnect(_ call: CallSummary?) {
        guard record != nil else { return }
        if let call { record!.call = call }
        endRecord(status: record!.sentStatus ?? 499)
    }
}
