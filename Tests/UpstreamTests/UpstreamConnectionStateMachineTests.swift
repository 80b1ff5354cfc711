import NIOCore
import Testing

@testable import Upstream

/// ``UpstreamConnectionStateMachine`` stepped event by event with a manual clock: lifecycle,
/// stream admission, keepalive and idle reaping.
@Suite struct UpstreamConnectionStateMachineTests {
    typealias Machine = UpstreamConnectionStateMachine
    typealias State = UpstreamConnectionStateMachine.State

    static let t0 = NIODeadline.uptimeNanoseconds(1_000_000_000)
    static let allStates: [State] = [.idle, .awaitingPreface, .open, .goingAway, .closed]

    /// A machine stepped into `state` at ``t0`` by the events that lead there.
    static func make(in state: State, _ configure: (inout UpstreamConfiguration) -> Void = { _ in }) -> Machine {
        var configuration = UpstreamConfiguration.defaults
        configuration.idleTimeout = nil
        configure(&configuration)
        var machine = Machine(configuration: configuration)
        switch state {
        case .idle:
            break
        case .awaitingPreface:
            _ = machine.sessionOpened(now: t0)
        case .open:
            _ = machine.sessionOpened(now: t0)
            _ = machine.peerSettingsReceived()
        case .goingAway:
            _ = machine.sessionOpened(now: t0)
            _ = machine.peerSettingsReceived()
            _ = machine.goAwayReceived()
        case .closed:
            _ = machine.sessionOpened(now: t0)
            _ = machine.close()
        }
        precondition(machine.state == state)
        return machine
    }

    // MARK: Lifecycle

    @Test(arguments: allStates)
    func onlyAnIdleConnectionOpens(_ state: State) {
        var machine = Self.make(in: state)
        #expect(machine.sessionOpened(now: Self.t0 + .seconds(1)) == (state == .idle))
        #expect(machine.state == (state == .idle ? .awaitingPreface : state))
    }

    @Test(arguments: allStates)
    func theFirstSettingsAreThePreface(_ state: State) {
        var machine = Self.make(in: state)
        let expected: [State: (Machine.OnPeerSettings, State)] = [
            .idle: (.ignore, .idle),
            .awaitingPreface: (.prefaceReceived, .open),
            .open: (.settingsChanged, .open),
            .goingAway: (.settingsChanged, .goingAway),
            .closed: (.ignore, .closed),
        ]
        #expect(machine.peerSettingsReceived() == expected[state]?.0)
        #expect(machine.state == expected[state]?.1)
    }

    @Test(arguments: allStates)
    func onlyTheFirstGoAwayStopsNewStreams(_ state: State) {
        var machine = Self.make(in: state)
        let stops = state == .awaitingPreface || state == .open
        #expect(machine.goAwayReceived() == (stops ? .stopOpeningStreams : .ignore))
        #expect(machine.state == (stops ? .goingAway : state))
        #expect(machine.goAwayReceived() == .ignore)
    }

    @Test(arguments: allStates)
    func closeIsFinal(_ state: State) {
        var machine = Self.make(in: state)
        #expect(machine.close() == (state == .closed ? .alreadyClosed : .close))
        #expect(machine.isClosed)
        #expect(!machine.isOpen)
        #expect(machine.close() == .alreadyClosed)
        #expect(machine.peerSettingsReceived() == .ignore)
        #expect(machine.bytesReceived(now: Self.t0) == .ignore)
    }

    @Test(arguments: allStates)
    func bytesAreReadWhileOpen(_ state: State) {
        var machine = Self.make(in: state) { $0.keepaliveInterval = .seconds(10) }
        let open = [.awaitingPreface, .open, .goingAway].contains(state)
        #expect(machine.isOpen == open)
        #expect(machine.bytesReceived(now: Self.t0 + .seconds(3)) == (open ? .process : .ignore))
        if open { #expect(machine.lastRead == Self.t0 + .seconds(3)) }
    }

    // MARK: Stream admission

    @Test(arguments: allStates)
    func streamsStartOnlyOnAUsableConnection(_ state: State) {
        let machine = Self.make(in: state)
        let usable = state == .awaitingPreface || state == .open
        #expect(machine.isUsable == usable)
        #expect(machine.canStartStream(openStreams: 0, peerMaxConcurrentStreams: 100) == usable)
    }

    @Test(arguments: [
        // (ours, peer's, open streams, may start)
        (1000, 100, 99, true),
        (1000, 100, 100, false),
        (3, 100, 2, true),
        (3, 100, 3, false),
        (1000, 0, 0, false),
        // Unadvertised: the assumed 100, not "unlimited".
        (1000, Int(UInt32.max), 99, true),
        (1000, Int(UInt32.max), 100, false),
        (50, Int(UInt32.max), 50, false),
    ])
    func theStreamLimitIsTheSmallerOfOursAndThePeers(ours: Int, peers: Int, open: Int, mayStart: Bool) {
        let machine = Self.make(in: .open) { $0.maxConcurrentStreams = ours }
        #expect(machine.canStartStream(openStreams: open, peerMaxConcurrentStreams: peers) == mayStart)
    }

    // MARK: Keepalive

    @Test func withoutKeepaliveOrReapingNothingIsScheduled() {
        var machine = Self.make(in: .open)
        #expect(machine.nextLivenessCheck(now: Self.t0) == nil)
        #expect(machine.livenessCheckFired(now: Self.t0 + .seconds(3600), openStreams: 0) == .rearm(next: nil))
    }

    @Test func aQuietConnectionIsPingedThenClosedWhenThePingGoesUnanswered() {
        var machine = Self.make(in: .open) {
            $0.keepaliveInterval = .seconds(10)
            $0.keepaliveTimeout = .seconds(5)
        }
        let t0 = Self.t0
        #expect(machine.nextLivenessCheck(now: t0) == t0 + .seconds(10))
        #expect(machine.livenessCheckFired(now: t0 + .seconds(9), openStreams: 0) == .rearm(next: t0 + .seconds(10)))
        #expect(machine.livenessCheckFired(now: t0 + .seconds(10), openStreams: 0) == .ping(next: t0 + .seconds(15)))
        #expect(machine.pingSentAt == t0 + .seconds(10))
        // Bytes other than the acknowledgement do not answer the PING.
        _ = machine.bytesReceived(now: t0 + .seconds(12))
        #expect(machine.livenessCheckFired(now: t0 + .seconds(14), openStreams: 0) == .rearm(next: t0 + .seconds(15)))
        #expect(machine.livenessCheckFired(now: t0 + .seconds(15), openStreams: 0) == .keepaliveTimedOut)
    }

    @Test func anAcknowledgedPingWaitsForTheNextQuietInterval() {
        var machine = Self.make(in: .open) {
            $0.keepaliveInterval = .seconds(10)
            $0.keepaliveTimeout = .seconds(5)
        }
        let t0 = Self.t0
        #expect(machine.livenessCheckFired(now: t0 + .seconds(10), openStreams: 1) == .ping(next: t0 + .seconds(15)))
        _ = machine.bytesReceived(now: t0 + .seconds(11))
        machine.pingAcknowledged()
        #expect(machine.pingSentAt == nil)
        #expect(machine.nextLivenessCheck(now: t0 + .seconds(11)) == t0 + .seconds(21))
        #expect(machine.livenessCheckFired(now: t0 + .seconds(15), openStreams: 1) == .rearm(next: t0 + .seconds(21)))
        #expect(machine.livenessCheckFired(now: t0 + .seconds(21), openStreams: 1) == .ping(next: t0 + .seconds(26)))
    }

    @Test(arguments: [State.idle, .closed])
    func aCheckOnAConnectionThatIsNotOpenDoesNothing(_ state: State) {
        var machine = Self.make(in: state) {
            $0.keepaliveInterval = .seconds(1)
            $0.idleTimeout = .seconds(1)
        }
        #expect(machine.livenessCheckFired(now: Self.t0 + .seconds(60), openStreams: 0) == .ignore)
        #expect(machine.pingSentAt == nil)
    }

    // MARK: Idle reaping

    @Test func aConnectionWithoutStreamsIsReapedAfterTheIdleTimeout() {
        var machine = Self.make(in: .open) { $0.idleTimeout = .seconds(30) }
        let t0 = Self.t0
        #expect(machine.idleSince == t0)
        #expect(machine.nextLivenessCheck(now: t0) == t0 + .seconds(30))
        #expect(machine.livenessCheckFired(now: t0 + .seconds(29), openStreams: 0) == .rearm(next: t0 + .seconds(30)))
        #expect(machine.livenessCheckFired(now: t0 + .seconds(30), openStreams: 0) == .idleTimedOut)
    }

    @Test func streamsKeepAConnectionAndTheLastOneEndingRestartsTheIdleClock() {
        var machine = Self.make(in: .goingAway) { $0.idleTimeout = .seconds(30) }
        let t0 = Self.t0
        machine.streamOpened()
        #expect(machine.idleSince == nil)
        // Busy: look again an idle timeout from now.
        #expect(machine.livenessCheckFired(now: t0 + .seconds(30), openStreams: 2) == .rearm(next: t0 + .seconds(60)))
        machine.streamClosed(remainingStreams: 1, now: t0 + .seconds(40))
        #expect(machine.idleSince == nil)
        machine.streamClosed(remainingStreams: 0, now: t0 + .seconds(45))
        #expect(machine.idleSince == t0 + .seconds(45))
        #expect(machine.livenessCheckFired(now: t0 + .seconds(60), openStreams: 0) == .rearm(next: t0 + .seconds(75)))
        #expect(machine.livenessCheckFired(now: t0 + .seconds(75), openStreams: 0) == .idleTimedOut)
    }

    @Test func theEarlierOfKeepaliveAndReapingIsCheckedFirst() {
        var machine = Self.make(in: .open) {
            $0.keepaliveInterval = .seconds(10)
            $0.keepaliveTimeout = .seconds(50)
            $0.idleTimeout = .seconds(30)
        }
        let t0 = Self.t0
        #expect(machine.nextLivenessCheck(now: t0) == t0 + .seconds(10))
        #expect(machine.livenessCheckFired(now: t0 + .seconds(10), openStreams: 0) == .ping(next: t0 + .seconds(30)))
        // The unanswered PING does not stop the reaping.
        #expect(machine.livenessCheckFired(now: t0 + .seconds(30), openStreams: 0) == .idleTimedOut)
    }
}
