import NIOCore
import Upstream

/// The retry state of one unary call (``GatewayConfig/RetryPolicy``): the request to send
/// again, the attempts made, the first attempt's deadline, and the backend's throttle, which
/// every attempt's outcome feeds.
struct CallRetry {
    let policy: GatewayConfig.RetryPolicy
    let throttle: RetryThrottle
    /// The request message, sent again as it was.
    let request: ByteBuffer
    /// The first attempt's deadline, which retries share.
    let deadline: NIODeadline?
    /// Attempts made so far.
    private(set) var attempts = 1

    init(policy: GatewayConfig.RetryPolicy, throttle: RetryThrottle, request: ByteBuffer, deadline: NIODeadline?) {
        self.policy = policy
        self.throttle = throttle
        self.request = request
        self.deadline = deadline
    }

    /// Records an attempt's outcome in the throttle and returns the wait before another attempt,
    /// or nil when the call ends here: it succeeded, failed with a code the policy does not
    /// retry, is committed (`mayRetry` false: part of the response went out), used its attempts,
    /// would outlive its deadline, or the backend's retry budget is spent.
    /// - Parameters:
    ///   - status: The attempt's status.
    ///   - mayRetry: Whether nothing of the response has reached the client.
    ///   - now: The event loop's clock.
    ///   - jitter: A factor in 0.8...1.2 applied to the backoff.
    mutating func nextAttempt(after status: GRPCStatus, mayRetry: Bool, now: NIODeadline, jitter: Double) -> TimeAmount?
    {
        guard status.code != .ok else {
            throttle.recordSuccess()
            return nil
        }
        guard policy.codes.contains(status.code) else { return nil }
        throttle.recordFailure()
        guard mayRetry, attempts < policy.maxAttempts, throttle.allowsRetry else { return nil }
        let base = min(policy.backoffMilliseconds << (attempts - 1), policy.maxBackoffMilliseconds)
        let delay = TimeAmount.milliseconds(Int64(Double(base) * jitter))
        if let deadline, now + delay >= deadline { return nil }
        attempts += 1
        return delay
    }

    /// What is left of the first attempt's deadline at `now` (at least a millisecond), or nil
    /// when the call has none.
    func remainingTimeout(now: NIODeadline) -> TimeAmount? {
        deadline.map { max($0 - now, .milliseconds(1)) }
    }
}
