import NIOCore

// Deadlines without a timer per call: the client keeps one scheduled check, at the earliest
// deadline among its calls. Calls usually finish long before their deadline (a unary call with a
// 10 s timeout answers in a millisecond), so scheduling and cancelling a task for each would cost
// an allocation, a lock and a search of the loop's timer queue per call for nothing. With one
// timeout per backend, new calls' deadlines come after the armed one and arm nothing; when the
// check fires it expires the calls whose deadline has passed and re-arms for the next one.
extension UpstreamClient {
    /// Makes sure a check runs no later than `call`'s deadline.
    func watchDeadline(of call: UpstreamCall) {
        if let deadline = call.deadline { self.watchDeadline(at: deadline) }
    }

    private func watchDeadline(at deadline: NIODeadline) {
        if let armed = self.deadlineCheck, armed.at <= deadline { return }
        self.deadlineCheck?.task.cancel()
        let task = self.eventLoop.assumeIsolated().scheduleTask(deadline: deadline) { [self] in
            self.deadlineCheck = nil
            self.expireOverdueCalls()
        }
        self.deadlineCheck = (task, deadline)
    }

    /// Expires every held call whose deadline has passed; re-arms for the earliest remaining one.
    private func expireOverdueCalls() {
        let now = self.eventLoop.now
        var next: NIODeadline?
        var overdue: [UpstreamCall] = []
        for call in self.heldCalls {
            guard let deadline = call.deadline, !call.isFinished else { continue }
            if deadline <= now {
                overdue.append(call)
            } else if next.map({ deadline < $0 }) ?? true {
                next = deadline
            }
        }
        // Expiring runs delegates, which may start calls (and arm a check) on this client.
        for call in overdue { call.expire() }
        if let next { self.watchDeadline(at: next) }
    }
}
