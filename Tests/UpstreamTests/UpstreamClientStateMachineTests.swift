import NIOCore
import Testing

@testable import Upstream

/// ``UpstreamClientStateMachine`` stepped event by event with a manual clock and a fixed random
/// source: connect states and the reconnect backoff.
@Suite struct UpstreamClientStateMachineTests {
    /// Stands in for an ``UpstreamConnection``.
    final class FakeConnection {}

    typealias Machine = UpstreamClientStateMachine<FakeConnection>

    enum StateName: CaseIterable, Sendable {
        case idle, connecting, ready, backingOff, closed
    }

    static let t0 = NIODeadline.uptimeNanoseconds(1_000_000_000)

    /// Backoff from 100 ms, ×2, at most 500 ms; no jitter unless asked.
    static func configuration(jitter: Double = 0) -> UpstreamConfiguration {
        var configuration = UpstreamConfiguration.defaults
        configuration.reconnectBackoffInitial = .milliseconds(100)
        configuration.reconnectBackoffMultiplier = 2
        configuration.reconnectBackoffMax = .milliseconds(500)
        configuration.reconnectBackoffJitter = jitter
        return configuration
    }

    /// A machine stepped into `state` at ``t0``; `ready` holds `connection`.
    static func make(in state: StateName, connection: FakeConnection = FakeConnection()) -> Machine {
        var machine = Machine(configuration: Self.configuration())
        switch state {
        case .idle:
            break
        case .connecting:
            _ = machine.connectIfNeeded(now: t0)
        case .ready:
            _ = machine.connectIfNeeded(now: t0)
            _ = machine.connectSucceeded(connection)
        case .backingOff:
            _ = machine.connectIfNeeded(now: t0)
            _ = machine.connectFailed(reason: "refused", now: t0)
        case .closed:
            _ = machine.close()
        }
        precondition(Self.name(of: machine.state) == state)
        return machine
    }

    static func name(of state: Machine.State) -> StateName {
        switch state {
        case .idle: .idle
        case .connecting: .connecting
        case .ready: .ready
        case .backingOff: .backingOff
        case .closed: .closed
        }
    }

    // MARK: Enqueue and connect

    @Test(arguments: StateName.allCases)
    func whereAQueuedCallGoes(_ state: StateName) {
        let connection = FakeConnection()
        var machine = Self.make(in: state, connection: connection)
        switch (state, machine.enqueue(now: Self.t0)) {
        case (.closed, .failClosed), (.idle, .queueAndConnect), (.connecting, .queueAndConnect):
            break
        case (.ready, .startOrQueue(let on)):
            #expect(on === connection)
        case (.backingOff, .failFast(let reason)):
            #expect(reason == "refused")
        case (_, let action):
            Issue.record("\(state): unexpected \(action)")
        }
        #expect(Self.name(of: machine.state) == state)
    }

    @Test func callsFailFastUntilTheBackoffIsOver() {
        var machine = Self.make(in: .backingOff)
        guard case .failFast = machine.enqueue(now: Self.t0 + .milliseconds(99)) else {
            Issue.record("expected a fast failure within the backoff")
            return
        }
        let connectsWithinTheBackoff = machine.connectIfNeeded(now: Self.t0 + .milliseconds(99))
        #expect(!connectsWithinTheBackoff)
        guard case .queueAndConnect = machine.enqueue(now: Self.t0 + .milliseconds(100)) else {
            Issue.record("expected a connect once the backoff is over")
            return
        }
        let connectsAfterTheBackoff = machine.connectIfNeeded(now: Self.t0 + .milliseconds(100))
        #expect(connectsAfterTheBackoff)
        #expect(machine.isConnecting)
    }

    @Test(arguments: StateName.allCases)
    func aConnectStartsOnlyWhenIdle(_ state: StateName) {
        var machine = Self.make(in: state)
        #expect(machine.connectIfNeeded(now: Self.t0) == (state == .idle))
        #expect(Self.name(of: machine.state) == (state == .idle ? .connecting : state))
    }

    @Test(arguments: StateName.allCases)
    func onlyAConnectInProgressSucceeds(_ state: StateName) {
        var machine = Self.make(in: state)
        let connection = FakeConnection()
        let connecting = state == .connecting
        #expect(machine.connectSucceeded(connection) == connecting)
        #expect(machine.connectionCount == (connecting || state == .ready ? 1 : 0))
        if connecting { #expect(machine.readyConnection === connection) }
    }

    @Test(arguments: StateName.allCases)
    func onlyAConnectInProgressFails(_ state: StateName) {
        var machine = Self.make(in: state)
        let failuresBefore = machine.consecutiveConnectFailures
        let backoff = machine.connectFailed(reason: "timed out", now: Self.t0 + .seconds(1))
        #expect((backoff != nil) == (state == .connecting))
        #expect(machine.consecutiveConnectFailures == failuresBefore + (state == .connecting ? 1 : 0))
        if state == .connecting {
            #expect(machine.lastConnectFailure == Self.t0 + .seconds(1))
            guard case .backingOff(let until, let reason) = machine.state else {
                Issue.record("expected backing off, got \(machine.state)")
                return
            }
            #expect(until == Self.t0 + .seconds(1) + .milliseconds(100))
            #expect(reason == "timed out")
        }
    }

    // MARK: Backoff

    @Test func theBackoffGrowsToItsCeilingAndResetsOnSuccess() {
        var machine = Machine(configuration: Self.configuration())
        var backoffs: [TimeAmount] = []
        var now = Self.t0
        for _ in 0..<5 {
            let connects = machine.connectIfNeeded(now: now)
            #expect(connects)
            let backoff = machine.connectFailed(reason: "refused", now: now)!
            backoffs.append(backoff)
            now = now + backoff
        }
        #expect(
            backoffs == [
                .milliseconds(100), .milliseconds(200), .milliseconds(400), .milliseconds(500), .milliseconds(500),
            ]
        )
        #expect(machine.consecutiveConnectFailures == 5)
        let connects = machine.connectIfNeeded(now: now)
        #expect(connects)
        let succeeded = machine.connectSucceeded(FakeConnection())
        #expect(succeeded)
        #expect(machine.consecutiveConnectFailures == 0)
        #expect(machine.nextBackoff == .milliseconds(100))
        #expect(machine.lastConnectFailure == now - .milliseconds(500))
    }

    @Test(arguments: [
        (UInt64(0), TimeAmount.milliseconds(80)),
        (UInt64.max, TimeAmount.milliseconds(120)),
    ])
    func theJitterSpreadsTheBackoffByTheInjectedRandomSource(random: UInt64, bound: TimeAmount) {
        var machine = Machine(configuration: Self.configuration(jitter: 0.2), random: FixedRandom(value: random))
        _ = machine.connectIfNeeded(now: Self.t0)
        let backoff = machine.connectFailed(reason: "refused", now: Self.t0)!
        // The lowest draw gives exactly -20 %; the highest at most +20 % (and within a nanosecond
        // or so of it).
        if random == 0 {
            #expect(backoff == bound)
        } else {
            #expect(backoff <= bound)
            #expect(backoff > bound - .microseconds(1))
        }
        // Jitter applies to what the calls wait, not to the growth of the next backoff.
        #expect(machine.nextBackoff == .milliseconds(200))
    }

    // MARK: Connection lost, close

    @Test func onlyTheReadyConnectionMakesTheClientIdleWhenLost() {
        let connection = FakeConnection()
        var machine = Self.make(in: .ready, connection: connection)
        let anotherLost = machine.connectionLost(FakeConnection())
        #expect(!anotherLost)
        #expect(!machine.isReady(FakeConnection()))
        #expect(machine.isReady(connection))
        let readyLost = machine.connectionLost(connection)
        #expect(readyLost)
        #expect(Self.name(of: machine.state) == .idle)
        #expect(!machine.isReady(connection))
        let lostAgain = machine.connectionLost(connection)
        #expect(!lostAgain)
    }

    @Test(arguments: [StateName.idle, .connecting, .backingOff, .closed])
    func aLostConnectionOutsideReadyChangesNothing(_ state: StateName) {
        var machine = Self.make(in: state)
        let lost = machine.connectionLost(FakeConnection())
        #expect(!lost)
        #expect(Self.name(of: machine.state) == state)
    }

    @Test(arguments: StateName.allCases)
    func closeSaysWhatToShutDown(_ state: StateName) {
        let connection = FakeConnection()
        var machine = Self.make(in: state, connection: connection)
        switch (state, machine.close()) {
        case (.ready, .closeConnection(let closed)):
            #expect(closed === connection)
        case (.connecting, .cancelConnect), (.idle, .none), (.backingOff, .none), (.closed, .none):
            break
        case (_, let action):
            Issue.record("\(state): unexpected \(action)")
        }
        #expect(Self.name(of: machine.state) == .closed)
    }
}

/// A random source that always draws `value`.
struct FixedRandom: RandomNumberGenerator {
    let value: UInt64
    mutating func next() -> UInt64 { self.value }
}
