import NIOCore
import NIOHTTP1
import Testing

@testable import Gateway

/// Steps ``HTTPConnectionStateMachine`` through every transition with a manual clock: no
/// sockets, no routes (the request payload is a string, the exchange a bare object).
@Suite struct HTTPConnectionStateMachineTests {
    typealias Machine = HTTPConnectionStateMachine<String, TestExchange>

    final class TestExchange {}

    static let start = NIODeadline.uptimeNanoseconds(1_000_000_000)
    static let limits = Machine.Limits(idleTimeout: .seconds(60), requestReadTimeout: .seconds(30), drainLimit: 10)

    static func head(_ method: HTTPMethod = .POST, _ uri: String = "/v1/x", keepAlive: Bool = true) -> HTTPRequestHead {
        var head = HTTPRequestHead(version: .http1_1, method: method, uri: uri)
        if !keepAlive { head.headers.add(name: "connection", value: "close") }
        return head
    }

    static func bytes(_ count: Int) -> ByteBuffer { ByteBuffer(repeating: 0x61, count: count) }

    /// A machine that has routed `head` with `routing`.
    static func routed(_ routing: Machine.Routing, head: HTTPRequestHead = head()) -> Machine {
        var machine = Machine(limits: limits, now: start)
        guard case .route = machine.received(.head(head), now: start) else {
            Issue.record("a head must be routed")
            return machine
        }
        _ = machine.routed(routing, head: head, now: start)
        return machine
    }

    // MARK: Collected requests

    @Test func aCollectedRequestStartsItsCallWithTheWholeBody() {
        var machine = Self.routed(.collect("req", limit: 10))
        let step1 = machine.received(.body(Self.bytes(4)), now: Self.start)
        #expect(step1.isNone)
        let step2 = machine.received(.body(Self.bytes(6)), now: Self.start)
        #expect(step2.isNone)
        guard case .startCall(let head, let request, let body) = machine.received(.end(nil), now: Self.start) else {
            Issue.record("expected startCall")
            return
        }
        #expect(head.uri == "/v1/x")
        #expect(request == "req")
        #expect(body.readableBytes == 10)
        #expect(machine.isAnsweringForTest)
        let exchange = TestExchange()
        machine.callStarted(exchange, head: head)
        #expect(machine.runningExchange === exchange)
        #expect(!machine.isRequestStillArriving)
        let step3 = machine.responseFinished(keepAlive: true, now: Self.start)
        #expect(step3 == .none, "nothing queued, no read held back: nothing to do")
        #expect(machine.isIdleForTest)
        #expect(machine.runningExchange == nil)
    }

    @Test func aBodyOverItsLimitIsAnswered413AndTheConnectionCloses() {
        var machine = Self.routed(.collect("req", limit: 10))
        let step4 = machine.received(.body(Self.bytes(8)), now: Self.start)
        #expect(step4.isNone)
        guard case .respond(_, .error(let error), let close) = machine.received(.body(Self.bytes(3)), now: Self.start)
        else {
            Issue.record("expected respond")
            return
        }
        #expect(error.httpStatus == .payloadTooLarge)
        #expect(close)
        // Nothing more is read or answered.
        let step5 = machine.received(.end(nil), now: Self.start)
        #expect(step5.isNone)
        let step6 = machine.received(.head(Self.head()), now: Self.start)
        #expect(step6.isNone)
        let step7 = machine.responseFinished(keepAlive: false, now: Self.start)
        #expect(step7 == .close)
    }

    @Test func aResponseWithoutKeepAliveClosesTheConnection() {
        var machine = Self.routed(.collect("req", limit: 10), head: Self.head(keepAlive: false))
        _ = machine.received(.end(nil), now: Self.start)
        machine.callStarted(TestExchange(), head: Self.head(keepAlive: false))
        let step8 = machine.responseFinished(keepAlive: false, now: Self.start)
        #expect(step8 == .close)
    }

    // MARK: Streamed requests

    @Test func aStreamedBodyGoesToTheRunningCallAndItsEndHalfCloses() {
        let exchange = TestExchange()
        var machine = Self.routed(.stream(exchange))
        #expect(machine.runningExchange === exchange)
        #expect(machine.isRequestStillArriving)
        guard case .forward(let chunk, let to) = machine.received(.body(Self.bytes(3)), now: Self.start) else {
            Issue.record("expected forward")
            return
        }
        #expect(chunk.readableBytes == 3 && to === exchange)
        guard case .endStream(let ended) = machine.received(.end(nil), now: Self.start) else {
            Issue.record("expected endStream")
            return
        }
        #expect(ended === exchange)
        #expect(!machine.isRequestStillArriving)
        #expect(machine.runningExchange === exchange)
    }

    @Test func aResponseThatEndsBeforeTheBodyDrainsTheRestThenServesTheNextRequest() {
        var machine = Self.routed(.stream(TestExchange()))
        let step9 = machine.responseFinished(keepAlive: true, now: Self.start)
        #expect(step9 == .none)
        #expect(machine.runningExchange == nil)
        let step10 = machine.received(.body(Self.bytes(6)), now: Self.start)
        #expect(step10.isNone)
        let step11 = machine.received(.body(Self.bytes(4)), now: Self.start)
        #expect(step11.isNone)
        guard case .becameIdle = machine.received(.end(nil), now: Self.start) else {
            Issue.record("expected becameIdle")
            return
        }
        #expect(machine.isIdleForTest)
    }

    @Test func drainingMoreThanItsBudgetCloses() {
        var machine = Self.routed(.stream(TestExchange()))
        _ = machine.responseFinished(keepAlive: true, now: Self.start)
        let step12 = machine.received(.body(Self.bytes(8)), now: Self.start)
        #expect(step12.isNone)
        guard case .close = machine.received(.body(Self.bytes(3)), now: Self.start) else {
            Issue.record("expected close")
            return
        }
    }

    @Test func drainingForAConnectionThatIsNotKeptClosesAtTheEndOfTheBody() {
        var machine = Self.routed(.stream(TestExchange()))
        let step13 = machine.responseFinished(keepAlive: false, now: Self.start)
        #expect(step13 == .none)
        let step14 = machine.received(.body(Self.bytes(2)), now: Self.start)
        #expect(step14.isNone)
        guard case .close = machine.received(.end(nil), now: Self.start) else {
            Issue.record("expected close")
            return
        }
    }

    // MARK: Refused requests

    @Test func aRefusedRequestIsReadToItsEndThenAnswered() {
        var machine = Self.routed(.answer(.error(.notFound(method: "POST", path: "/v1/x"))))
        let step15 = machine.received(.body(Self.bytes(100)), now: Self.start)
        #expect(step15.isNone)
        guard case .respond(_, .error(let error), let close) = machine.received(.end(nil), now: Self.start) else {
            Issue.record("expected respond")
            return
        }
        #expect(error.httpStatus == .notFound)
        #expect(!close)
        #expect(!machine.isRequestStillArriving, "the answer may keep the connection")
        let step16 = machine.responseFinished(keepAlive: true, now: Self.start)
        #expect(step16 == .none)
    }

    @Test func aRequestWaitingFor100ContinueIsRefusedAtOnceAndTheConnectionCloses() {
        var machine = Machine(limits: Self.limits, now: Self.start)
        let head = Self.head()
        _ = machine.received(.head(head), now: Self.start)
        guard
            case .respond(_, .error(let error), let close) = machine.routed(
                .answerNow(.error(.notFound(method: "POST", path: "/x"))),
                head: head,
                now: Self.start
            )
        else {
            Issue.record("expected respond")
            return
        }
        #expect(error.httpStatus == .notFound)
        #expect(close)
        let step17 = machine.received(.body(Self.bytes(5)), now: Self.start)
        #expect(step17.isNone)
        let step18 = machine.responseFinished(keepAlive: false, now: Self.start)
        #expect(step18 == .close)
    }

    // MARK: Pipelining and reads

    @Test func pipelinedRequestsWaitForTheAnswerBeforeThem() {
        var machine = Self.routed(.collect("first", limit: 10))
        _ = machine.received(.end(nil), now: Self.start)
        machine.callStarted(TestExchange(), head: Self.head())
        let second = Self.head(.GET, "/v1/second")
        let step19 = machine.received(.head(second), now: Self.start)
        #expect(step19.isNone)
        let step20 = machine.received(.end(nil), now: Self.start)
        #expect(step20.isNone)
        #expect(machine.pipelined.count == 2)
        let step21 = machine.readRequested()
        #expect(!step21, "reading waits while requests are queued")
        let step22 = machine.nextQueuedPart(now: Self.start)
        #expect(step22 == nil, "busy: nothing is served yet")

        let step23 = machine.responseFinished(keepAlive: true, now: Self.start)
        #expect(step23 == .serveQueued)
        guard case .route(let head)? = machine.nextQueuedPart(now: Self.start) else {
            Issue.record("expected the queued head")
            return
        }
        #expect(head.uri == "/v1/second")
        _ = machine.routed(.collect("second", limit: 10), head: head, now: Self.start)
        guard case .startCall(_, let request, _)? = machine.nextQueuedPart(now: Self.start) else {
            Issue.record("expected the queued end")
            return
        }
        #expect(request == "second")
        machine.callStarted(TestExchange(), head: head)
        let step24 = machine.nextQueuedPart(now: Self.start)
        #expect(step24 == nil)
        let step25 = machine.idle()
        #expect(step25 == .none, "busy again")
        let step26 = machine.responseFinished(keepAlive: true, now: Self.start)
        #expect(step26 == .read, "the queue is empty: the held-back read goes out")
        let step27 = machine.nextQueuedPart(now: Self.start)
        #expect(step27 == nil)
        let step28 = machine.idle()
        #expect(step28 == .none, "the read went out already")
    }

    @Test func readsPauseWhileTheCallIsFullAndResumeOnce() {
        var machine = Self.routed(.stream(TestExchange()))
        let step29 = machine.readRequested()
        #expect(step29)
        machine.pauseReading()
        let step30 = machine.readRequested()
        #expect(!step30)
        let step31 = machine.resumeReading()
        #expect(step31, "the held read goes out")
        let step32 = machine.resumeReading()
        #expect(!step32, "only once")
        let step33 = machine.readRequested()
        #expect(step33)
        let step34 = machine.resumeReading()
        #expect(!step34, "not paused: nothing to resume")
    }

    // MARK: Malformed requests

    @Test func aMalformedRequestIsAnsweredAfterTheRequestsBeforeIt() {
        var machine = Self.routed(.collect("first", limit: 10))
        _ = machine.received(.end(nil), now: Self.start)
        machine.callStarted(TestExchange(), head: Self.head())
        let step35 = machine.parseFailed(.invalidArgument("bad"))
        #expect(step35.isNone)
        let step36 = machine.responseFinished(keepAlive: true, now: Self.start)
        #expect(step36 == .serveQueued)
        let step37 = machine.nextQueuedPart(now: Self.start)
        #expect(step37 == nil)
        guard case .answerMalformed(let head, let error) = machine.idle() else {
            Issue.record("expected the parse error's answer")
            return
        }
        #expect(head.uri == "/" && error.message == "bad")
        let step38 = machine.responseFinished(keepAlive: false, now: Self.start)
        #expect(step38 == .close)
    }

    @Test func aMalformedRequestOnAnIdleConnectionIsAnsweredAtOnce() {
        var machine = Machine(limits: Self.limits, now: Self.start)
        guard case .respond(_, _, let close) = machine.parseFailed(.invalidArgument("bad")) else {
            Issue.record("expected respond")
            return
        }
        #expect(close)
    }

    @Test func aMalformedBodyAnswersTheRequestItCuts() {
        var collecting = Self.routed(.collect("req", limit: 10))
        guard case .respond(let head, _, true) = collecting.parseFailed(.invalidArgument("bad chunk")) else {
            Issue.record("expected respond and close")
            return
        }
        #expect(head.uri == "/v1/x")
        var refused = Self.routed(.answer(.error(.notFound(method: "POST", path: "/v1/x"))))
        guard case .respond(_, .error(let error), true) = refused.parseFailed(.invalidArgument("bad chunk")) else {
            Issue.record("expected respond and close")
            return
        }
        #expect(error.message == "bad chunk")
    }

    @Test func aMalformedStreamedBodyClosesAndTheCallIsCancelledWithTheConnection() {
        let exchange = TestExchange()
        var machine = Self.routed(.stream(exchange))
        guard case .close = machine.parseFailed(.invalidArgument("bad chunk")) else {
            Issue.record("expected close")
            return
        }
        let step39 = machine.closed()
        #expect(step39 === exchange)
        var draining = Self.routed(.stream(TestExchange()))
        _ = draining.responseFinished(keepAlive: true, now: Self.start)
        guard case .close = draining.parseFailed(.invalidArgument("bad chunk")) else {
            Issue.record("expected close")
            return
        }
        let step40 = draining.closed()
        #expect(step40 == nil)
    }

    // MARK: Clocks

    @Test func anIdleConnectionClosesAtItsIdleDeadline() {
        var machine = Machine(limits: Self.limits, now: Self.start)
        #expect(machine.nextDeadline(now: Self.start) == Self.start + .seconds(60))
        let step41 = machine.timeoutCheck(now: Self.start + .seconds(59))
        #expect(step41 == .none)
        let step42 = machine.timeoutCheck(now: Self.start + .seconds(60))
        #expect(step42 == .close)
        #expect(machine.nextDeadline(now: Self.start + .seconds(60)) == nil)
    }

    @Test func activityPushesTheIdleDeadline() {
        var machine = Self.routed(.collect("req", limit: 10))
        _ = machine.received(.end(nil), now: Self.start)
        machine.callStarted(TestExchange(), head: Self.head())
        let later = Self.start + .seconds(50)
        _ = machine.responseFinished(keepAlive: true, now: later)
        #expect(machine.nextDeadline(now: later) == later + .seconds(60))
        let step43 = machine.timeoutCheck(now: Self.start + .seconds(60))
        #expect(step43 == .none)
    }

    @Test func aSlowBodyIsAnswered408AtTheReadDeadline() {
        var machine = Self.routed(.collect("req", limit: 10))
        #expect(machine.nextDeadline(now: Self.start) == Self.start + .seconds(30))
        let step44 = machine.timeoutCheck(now: Self.start + .seconds(29))
        #expect(step44 == .none)
        guard case .respond(_, let error) = machine.timeoutCheck(now: Self.start + .seconds(30)) else {
            Issue.record("expected a 408")
            return
        }
        #expect(error.httpStatus == .requestTimeout)
        var refused = Self.routed(.answer(.error(.notFound(method: "GET", path: "/"))))
        guard case .respond = refused.timeoutCheck(now: Self.start + .seconds(31)) else {
            Issue.record("a refused body has the same bound")
            return
        }
    }

    @Test func drainingIsBoundedByTheReadTimeout() {
        var machine = Self.routed(.stream(TestExchange()))
        let answered = Self.start + .seconds(10)
        _ = machine.responseFinished(keepAlive: true, now: answered)
        #expect(machine.nextDeadline(now: answered) == answered + .seconds(30))
        let step45 = machine.timeoutCheck(now: answered + .seconds(30))
        #expect(step45 == .close)
    }

    @Test func aRunningCallIsNotTimedOutOnlyLookedAtAgain() {
        var machine = Self.routed(.stream(TestExchange()))
        let now = Self.start + .seconds(500)
        #expect(machine.nextDeadline(now: now) == now + .seconds(60))
        let step46 = machine.timeoutCheck(now: now)
        #expect(step46 == .none)
    }

    @Test func noLimitsNoClock() {
        let machine = Machine(
            limits: .init(idleTimeout: .zero, requestReadTimeout: .zero, drainLimit: 0),
            now: Self.start
        )
        #expect(machine.nextDeadline(now: Self.start) == nil)
    }

    @Test func aClosedConnectionCancelsItsRunningCallOnly() {
        var idle = Machine(limits: Self.limits, now: Self.start)
        let step47 = idle.closed()
        #expect(step47 == nil)
        let exchange = TestExchange()
        var calling = Self.routed(.collect("req", limit: 10))
        _ = calling.received(.end(nil), now: Self.start)
        calling.callStarted(exchange, head: Self.head())
        let step48 = calling.closed()
        #expect(step48 === exchange)
        let step49 = calling.received(.head(Self.head()), now: Self.start)
        #expect(step49.isNone)
    }
}

extension HTTPConnectionStateMachine.OnPart {
    var isNone: Bool {
        if case .none = self { return true }
        return false
    }
}

extension HTTPConnectionStateMachine {
    var isIdleForTest: Bool {
        if case .idle = state { return true }
        return false
    }

    var isAnsweringForTest: Bool {
        if case .answering = state { return true }
        return false
    }
}

extension HTTPConnectionStateMachine.OnIdle: Equatable {
    static func == (lhs: Self, rhs: Self) -> Bool {
        switch (lhs, rhs) {
        case (.none, .none), (.read, .read): true
        case (.answerMalformed(_, let a), .answerMalformed(_, let b)): a.message == b.message
        default: false
        }
    }
}

extension HTTPConnectionStateMachine.OnTimeout: Equatable {
    static func == (lhs: Self, rhs: Self) -> Bool {
        switch (lhs, rhs) {
        case (.none, .none), (.close, .close): true
        case (.respond(_, let a), .respond(_, let b)): a.message == b.message
        default: false
        }
    }
}
