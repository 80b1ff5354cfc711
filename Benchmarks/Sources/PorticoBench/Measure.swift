import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// One measured figure: the median of several rounds, with the fastest and slowest.
struct Measurement {
    /// Nanoseconds per operation: median, min and max over the rounds.
    var median: Double
    var min: Double
    var max: Double

    /// Megabytes (10⁶ bytes) per second for `bytes` per operation, at the median.
    func megabytesPerSecond(bytes: Int) -> Double {
        Double(bytes) / median * 1_000
    }

    /// The same figures per item, for an operation that handles `count` items.
    func divided(by count: Int) -> Measurement {
        Measurement(median: median / Double(count), min: min / Double(count), max: max / Double(count))
    }
}

/// `median (min–max)` in nanoseconds: one decimal below 100 ns, else whole with separators.
func formatNanoseconds(_ measurement: Measurement) -> String {
    guard measurement.max < 100 else { return format(measurement) }
    func oneDecimal(_ value: Double) -> String { String(format: "%.1f", value) }
    return "\(oneDecimal(measurement.median)) (\(oneDecimal(measurement.min))–\(oneDecimal(measurement.max)))"
}

/// Times `operation`: a warm-up, then `rounds` rounds of at least `roundSeconds` each.
///
/// Each round repeats the operation in batches until its time is up and records the mean time
/// per operation; the result is the median round (the figure least disturbed by the other
/// processes of a shared machine), with the extremes shown.
func measure(rounds: Int = 5, roundSeconds: Double = 0.3, _ operation: () throws -> Void) rethrows -> Measurement {
    try operation()
    var perOperation: [Double] = []
    for _ in 0..<rounds {
        var count = 0
        let start = monotonicNanoseconds()
        var elapsed: UInt64 = 0
        var batch = 1
        while Double(elapsed) < roundSeconds * 1e9 {
            for _ in 0..<batch { try operation() }
            count += batch
            elapsed = monotonicNanoseconds() - start
            batch = Swift.min(batch * 2, 1 << 16)
        }
        perOperation.append(Double(elapsed) / Double(count))
    }
    perOperation.sort()
    return Measurement(median: perOperation[perOperation.count / 2], min: perOperation.first!, max: perOperation.last!)
}

/// CLOCK_MONOTONIC in nanoseconds.
func monotonicNanoseconds() -> UInt64 {
    var now = timespec()
    clock_gettime(CLOCK_MONOTONIC, &now)
    return UInt64(now.tv_sec) * 1_000_000_000 + UInt64(now.tv_nsec)
}
