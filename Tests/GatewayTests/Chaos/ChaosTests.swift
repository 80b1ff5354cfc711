import Foundation
import Testing

/// Issue 18, "a network with weather": the backend on another host behind a link with delay,
/// jitter, loss, reordering and partitions (``ChaosNetwork``), a real `portico serve` and a real
/// `demo-backend`. Every call completes or fails as it must, within stated bounds, and nothing
/// hangs. Figures go to ``ChaosReport`` (`make chaos` writes them to
/// `Benchmarks/results/chaos.md`). `PORTICO_CHAOS_ROUNDS` scales the call counts (default 3).
@Suite(
    "Chaos: a network with weather",
    .serialized,
    .enabled(
        if: ChaosNetwork.unavailableReason == nil,
        Comment(rawValue: ChaosNetwork.unavailableReason ?? "")
    )
)
struct ChaosTests {
    /// Rounds of each call kind per weather (unary calls: 20 per round).
    static let rounds = Int(ProcessInfo.processInfo.environment["PORTICO_CHAOS_ROUNDS"] ?? "") ?? 3

    /// Scenario 1: every call kind, over a clean link and then 50 ms ± 20 ms, 2 % loss and 5 %
    /// reordering, completes correctly; calls with deadlines they cannot meet end with
    /// DEADLINE_EXCEEDED within their deadline + 300 ms.
    @Test func everyCallKindCompletesThroughStormyWeatherAndDeadlinesHold() async throws {
        try await ChaosStack.with { stack in
            let clean = await Self.runEveryKind(stack)
            try stack.network.link.apply(.stormy)
            let stormy = await Self.runEveryKind(stack)
            var deadlines: [ChaosDeadlineKind: ChaosFigures] = [:]
            for kind in ChaosDeadlineKind.allCases {
                var outcomes: [ChaosOutcome] = []
                for _ in 0..<Self.rounds { outcomes.append(await stack.call(kind)) }
                deadlines[kind] = ChaosFigures(outcomes: outcomes)
            }
            let link = try stack.network.link.stats()
            Self.report(clean: clean, stormy: stormy, deadlines: deadlines, link: link)
            for kind in ChaosCallKind.allCases {
                #expect(clean[kind]?.failures == [], "\(kind.rawValue), clean link")
                #expect(stormy[kind]?.failures == [], "\(kind.rawValue), stormy link")
            }
            for kind in ChaosDeadlineKind.allCases {
                #expect(deadlines[kind]?.failures == [], "\(kind.rawValue)")
            }
        }
    }

    /// Scenarios 2 and 3: a partition in the middle of a long NDJSON download ends it with its
    /// `UNAVAILABLE` element within keepalive interval + timeout (+ 1.5 s); calls during the
    /// partition end within their 1 s deadline; once healed, a new call succeeds within 10 s
    /// (the reconnect backoff's ceiling, 5 s + 20 %, plus a connect), and every call does within
    /// 10 s (a connect begun during the partition may still time out), without restarting
    /// Portico; streams work again.
    @Test(arguments: PartitionMode.allCases)
    func aPartitionEndsADownloadInBoundsAndHealingNeedsNoRestart(mode: PartitionMode) async throws {
        try await ChaosStack.with { stack in
            #expect(await stack.call(.unary, index: 0).ok, "the link works before the partition")
            let (download, errorAfter) = try await stack.downloadThroughPartition(mode)
            #expect(download.ok, "\(download.detail)")
            let bound = Double(ChaosStack.keepaliveSeconds + ChaosStack.keepaliveTimeoutSeconds) + 1.5
            let detected = try #require(errorAfter, "no error element after the partition")
            #expect(detected <= bound, "partition → error element: \(detected) s")
            let recovery = try await stack.recoverAfterPartition(mode, holdSeconds: 4)
            #expect(recovery.whilePartitioned.failures == [], "calls during the partition")
            #expect(recovery.healToSuccess.map { $0 <= 10 } == true, "heal → first success: \(recovery)")
            #expect(recovery.healToSteady.map { $0 <= 10 } == true, "heal → every call succeeds: \(recovery)")
            for kind in [ChaosCallKind.ndjson, .chat, .webSocket] {
                let outcome = await stack.call(kind, index: 1)
                #expect(outcome.ok, "\(kind.rawValue) after healing: \(outcome.detail)")
            }
            Self.report(mode, detected: detected, recovery: recovery)
        }
    }

    /// Every call kind, `rounds` times each, kind after kind; unary calls on 4 connections at once.
    private static func runEveryKind(_ stack: ChaosStack) async -> [ChaosCallKind: ChaosFigures] {
        var figures: [ChaosCallKind: ChaosFigures] = [:]
        figures[.unary] = ChaosFigures(
            outcomes: await withTaskGroup(of: [ChaosOutcome].self) { group in
                for worker in 0..<4 {
                    group.addTask {
                        var outcomes: [ChaosOutcome] = []
                        for call in 0..<(5 * rounds) {
                            outcomes.append(await stack.call(.unary, index: worker * 1000 + call))
                        }
                        return outcomes
                    }
                }
                return await group.reduce(into: []) { $0 += $1 }
            }
        )
        for kind in ChaosCallKind.allCases where kind != .unary {
            var outcomes: [ChaosOutcome] = []
            for round in 0..<rounds { outcomes.append(await stack.call(kind, index: round)) }
            figures[kind] = ChaosFigures(outcomes: outcomes)
        }
        return figures
    }

    private static func report(
        clean: [ChaosCallKind: ChaosFigures],
        stormy: [ChaosCallKind: ChaosFigures],
        deadlines: [ChaosDeadlineKind: ChaosFigures],
        link: String
    ) {
        let ms = ChaosReport.milliseconds
        func signed(_ value: Double) -> String { (value < 0 ? "" : "+") + ms(value) }
        let rows = ChaosCallKind.allCases.map { kind -> [String] in
            let (c, s) = (clean[kind]!, stormy[kind]!)
            return [
                kind.rawValue, c.counts, s.counts, "\(ms(c.p50)) / \(ms(c.p99))", "\(ms(s.p50)) / \(ms(s.p99))",
                "\(signed(s.p50 - c.p50)) / \(signed(s.p99 - c.p99))",
            ]
        }
        let deadlineRows = ChaosDeadlineKind.allCases.map { kind -> [String] in
            let figures = deadlines[kind]!
            let bound = (kind.deadline + ChaosStack.deadlineSlack) * 1000
            return [kind.rawValue, figures.counts, "\(ms(figures.p50)) / \(ms(figures.p99))", "≤ \(ms(bound))"]
        }
        ChaosReport.record(
            "1",
            """
            ## 1. Weather: \(Weather.stormy)

            Completed correctly (clean link, then stormy) and duration in ms, p50 / p99 (unary: \
            \(20 * rounds) calls on 4 connections; each stream kind: \(rounds) calls, 64 KiB of random bytes \
            checked end to end; chats: 10 turns, each reply awaited).

            \(ChaosReport.table(["call", "clean ok", "stormy ok", "clean p50 / p99", "stormy p50 / p99", "added p50 / p99"], rows))

            Deadlines on the stormy link (ok: 504 / the stream's final DEADLINE_EXCEEDED element, \
            within the bound), ms p50 / p99:

            \(ChaosReport.table(["call", "ok", "ended after", "bound"], deadlineRows))

            Link: `\(link)`

            """
        )
    }

    private static func report(_ mode: PartitionMode, detected: Double, recovery: ChaosRecovery) {
        let key = mode == .blackhole ? "2a" : "2b"
        ChaosReport.record(
            key,
            """
            ## 2–3. Partition (\(mode.rawValue)) during a download, then healed

            | figure | value | bound |
            | --- | --- | --- |
            | partition → the download's `{"error":{"code":14,…}}` element | \(ChaosReport.milliseconds(detected * 1000)) ms | ≤ \(ChaosStack.keepaliveSeconds + ChaosStack.keepaliveTimeoutSeconds) s + 1.5 s |
            | calls during the partition (`Grpc-Timeout: 1S`), ended in time | \(recovery.whilePartitioned.counts) (\(recovery.statuses)) | ≤ 1.3 s each |
            | heal → first successful call (no restart) | \(recovery.healToSuccess.map { ChaosReport.milliseconds($0 * 1000) + " ms" } ?? "never") | ≤ 10 s |
            | heal → every call succeeds (the last failure before 10 successes in a row) | \(recovery.healToSteady.map { ChaosReport.milliseconds($0 * 1000) + " ms" } ?? "never") | ≤ 10 s |
            | calls failed after the heal | \(recovery.failuresAfterHeal.count)\(recovery.failuresAfterHeal.last.map { ": last \($0)" } ?? "") | |

            """
        )
    }
}
