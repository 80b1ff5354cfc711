import Synchronization

/// gRPC's retry throttling for one cluster, shared by every event loop: a token count that
/// retryable failures drain and successes refill (see ``ClusterConfiguration/RetryBudget``). Kept
/// in thousandths of a token in one atomic.
public final class RetryThrottle: Sendable {
    private let maxMilliTokens: Int
    private let refillMilliTokens: Int
    private let milliTokens: Atomic<Int>

    /// Creates a full throttle.
    public init(budget: ClusterConfiguration.RetryBudget) {
        self.maxMilliTokens = budget.maxTokens * 1000
        self.refillMilliTokens = max(1, Int((budget.tokenRatio * 1000).rounded()))
        self.milliTokens = Atomic(budget.maxTokens * 1000)
    }

    /// Whether a retry may be made now (more than half the tokens left).
    public var allowsRetry: Bool { milliTokens.load(ordering: .relaxed) * 2 > maxMilliTokens }

    /// A call to the backend failed with a retryable code: one token less.
    public func recordFailure() { adjust(by: -1000) }

    /// A call to the backend succeeded: `tokenRatio` tokens more.
    public func recordSuccess() { adjust(by: refillMilliTokens) }

    /// Tokens left, for tests and metrics.
    public var tokens: Double { Double(milliTokens.load(ordering: .relaxed)) / 1000 }

    private func adjust(by delta: Int) {
        var current = milliTokens.load(ordering: .relaxed)
        while true {
            let next = min(maxMilliTokens, max(0, current + delta))
            if next == current { return }
            let (exchanged, original) = milliTokens.compareExchange(
                expected: current,
                desired: next,
                ordering: .relaxed
            )
            if exchanged { return }
            current = original
        }
    }
}
