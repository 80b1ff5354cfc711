import Synchronization

/// Token buckets by key (one rate-limit rule on one method): each key's bucket holds at most
/// `burst` tokens, gains `rate` per second, and a request takes one. Shared by every event loop
/// of the process, in 16 shards by key hash so loops rarely wait for one another.
///
/// Memory is bounded: at most `maxKeys` buckets. A bucket that has refilled is the same as no
/// bucket, so those go first when a shard is full; if a flood of distinct keys keeps every bucket
/// busy, the least recently used tenth of the shard goes (those clients start again from a full
/// bucket, which is the most a flood can win). No I/O and no clock of its own: callers pass the
/// time, tests step it.
final class TokenBuckets: Sendable {
    /// A request's outcome.
    enum Decision: Equatable {
        /// A token was taken.
        case allowed
        /// The bucket is empty; a token will be there in this many seconds (at least 1).
        case limited(retryAfterSeconds: Int)
    }

    private struct Bucket {
        var tokens: Double
        var updated: UInt64
    }

    private final class Shard: Sendable {
        let buckets = Mutex<[String: Bucket]>([:])
    }

    /// Tokens added per nanosecond.
    private let perNanosecond: Double
    /// The bucket's size.
    let burst: Double
    /// Tokens added per second.
    let rate: Double
    private let shardCapacity: Int
    private let shards: [Shard]

    /// Buckets of `burst` tokens filling at `rate` per second, at most `maxKeys` of them.
    init(rate: Double, burst: Int, maxKeys: Int) {
        self.rate = rate
        self.perNanosecond = rate / 1e9
        self.burst = Double(burst)
        self.shards = (0..<16).map { _ in Shard() }
        self.shardCapacity = max(1, maxKeys / 16)
    }

    /// Takes a token from `key`'s bucket at `now` (nanoseconds of a monotonic clock).
    func take(_ key: String, now: UInt64) -> Decision {
        let shard = shards[Int(UInt(bitPattern: key.hashValue) % 16)]
        return shard.buckets.withLock { buckets in
            var bucket: Bucket
            if let existing = buckets[key] {
                bucket = existing
                bucket.tokens = min(burst, bucket.tokens + Double(now &- bucket.updated) * perNanosecond)
            } else {
                if buckets.count >= shardCapacity { evict(from: &buckets, now: now) }
                bucket = Bucket(tokens: burst, updated: now)
            }
            bucket.updated = now
            defer { buckets[key] = bucket }
            if bucket.tokens >= 1 {
                bucket.tokens -= 1
                return .allowed
            }
            let seconds = (1 - bucket.tokens) / rate
            return .limited(retryAfterSeconds: max(1, Int(seconds.rounded(.up))))
        }
    }

    /// How many buckets are kept (for tests).
    var count: Int { shards.reduce(0) { $0 + $1.buckets.withLock { $0.count } } }

    /// Makes room in a full shard: refilled buckets first, then the least recently used tenth.
    private func evict(from buckets: inout [String: Bucket], now: UInt64) {
        buckets = buckets.filter { $0.value.tokens + Double(now &- $0.value.updated) * perNanosecond < burst }
        guard buckets.count >= shardCapacity else { return }
        let oldest = buckets.sorted { $0.value.updated < $1.value.updated }.prefix(max(1, shardCapacity / 10))
        for (key, _) in oldest { buckets[key] = nil }
    }
}
