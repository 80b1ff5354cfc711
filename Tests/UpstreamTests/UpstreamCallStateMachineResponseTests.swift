import NIOCore
import Testing

@testable import Upstream

/// ``UpstreamCallStateMachine``'s response side stepped event by event: header blocks, DATA,
/// message delivery and the stream closing, in every state.
@Suite struct UpstreamCallStateMachineResponseTests {
    // MARK: Headers

    @Test func responseHeadersAreDeliveredWithoutPseudoFieldsOnce() {
        var machine = CallMachine.make(in: .active)
        let action = machine.receiveHeaders(CallMachine.okHeaders + [("x-a", "1")], endStream: false)
        guard case .deliverHeaders(let headers) = action else {
            Issue.record("expected headers, got \(action)")
            return
        }
        #expect(headers.map(\.name) == ["content-type", "x-a"])
        #expect(machine.receivedHeaders)
        #expect(machine.state.streamID == 1)
    }

    @Test func informationalHeadersAreSkipped() {
        var machine = CallMachine.make(in: .active)
        #expect(machine.receiveHeaders([(":status", "100")], endStream: false).isNone)
        #expect(!machine.receivedHeaders)
        #expect(machine.receiveHeaders(CallMachine.okHeaders, endStream: false).deliveredHeaders != nil)
    }

    @Test(arguments: [CallState.idle, .waiting, .active, .closing])
    func headerBlocksOfAnOverLimitSizeFinishTheCall(_ state: CallState) throws {
        var machine = CallMachine.make(in: state, maxMetadataBytes: 200)
        let big = [("x-big", String(repeating: "b", count: 200))]
        let finish = try #require(machine.receiveHeaders(CallMachine.okHeaders + big, endStream: false).finish)
        #expect(finish.status.code == .resourceExhausted)
        #expect(finish.status.message.hasPrefix(state == .closing ? "backend trailers of" : "backend headers of"))
        #expect(finish.reset == (state == .active ? http2CancelCode : nil))
        #expect(machine.isFinished)
    }

    @Test(arguments: [
        ([(":status", "503")], true, GRPCStatus.Code.unavailable, "backend answered HTTP 503"),
        ([(":status", "404"), ("x-why", "no")], false, .unimplemented, "backend answered HTTP 404"),
        (
            [(":status", "200"), ("content-type", "text/html")], false, .unknown,
            "backend answered with content-type 'text/html'"
        ),
        ([(":status", "200")], false, .unknown, "backend response has no content-type"),
    ])
    func unacceptableResponseHeadersResetTheStream(
        _ fields: [(String, String)],
        endStream: Bool,
        code: GRPCStatus.Code,
        message: String
    ) throws {
        var machine = CallMachine.make(in: .active)
        let finish = try #require(machine.receiveHeaders(fields.map { ($0.0, $0.1) }, endStream: endStream).finish)
        #expect(finish.status == GRPCStatus(code: code, message: message))
        #expect(finish.streamID == 1)
        #expect(finish.reset == http2CancelCode)
        // A non-200 answer keeps its headers (no pseudo-fields) as the trailers.
        #expect(finish.trailers.map(\.name) == fields.filter { $0.0 == "x-why" }.map(\.0))
        #expect(machine.isFinished)
    }

    @Test(arguments: [false, true])
    func aTrailersOnlyResponseReleasesTheStreamThenFinishes(endOfStreamSent: Bool) throws {
        var machine = CallMachine.make(in: .active)
        if endOfStreamSent {
            _ = machine.halfClose()
            _ = machine.readAll()
        }
        let fields: [(name: String, value: String)] = [
            (":status", "200"), ("content-type", "application/grpc"), ("grpc-status", "5"), ("grpc-message", "nope"),
        ]
        let action = machine.receiveHeaders(fields, endStream: true)
        guard case .closeStreamAndDeliver(let streamID, let reset) = action else {
            Issue.record("expected the stream released, got \(action)")
            return
        }
        #expect(streamID == 1)
        // Our side still open: reset so the stream stops counting against the backend's limit.
        #expect(reset == (endOfStreamSent ? nil : http2CancelCode))
        #expect(machine.state.name == .closing)
        let finish = try #require(machine.nextDelivery().finish)
        #expect(finish.status == GRPCStatus(code: .notFound, message: "nope"))
        #expect(finish.trailers.map(\.name) == ["content-type", "grpc-status", "grpc-message"])
        #expect(finish.streamID == nil)
        #expect(machine.isFinished)
    }

    @Test func trailersFinishAfterTheBufferedMessages() throws {
        var machine = CallMachine.make(in: .active)
        _ = machine.receiveHeaders(CallMachine.okHeaders, endStream: false)
        machine.pause()
        _ = machine.receiveData(CallMachine.message("one", "two"))
        #expect(machine.nextDelivery().isStop)
        let action = machine.receiveHeaders([("grpc-status", "0")], endStream: true)
        guard case .closeStreamAndDeliver(let streamID, let reset) = action else {
            Issue.record("expected the stream released, got \(action)")
            return
        }
        #expect(streamID == 1)
        #expect(reset == http2CancelCode)
        #expect(machine.nextDelivery().isStop)  // still paused
        _ = machine.resume()
        #expect(machine.nextDelivery().message == ByteBuffer(string: "one"))
        #expect(machine.nextDelivery().message == ByteBuffer(string: "two"))
        let finish = try #require(machine.nextDelivery().finish)
        #expect(finish.status == .ok)
        #expect(machine.nextDelivery().isStop)
    }

    @Test func headersAfterTheFinishAreIgnored() {
        var machine = CallMachine.make(in: .finished)
        #expect(machine.receiveHeaders(CallMachine.okHeaders, endStream: false).isNone)
        #expect(!machine.receivedHeaders)
    }

    // MARK: Data and delivery

    @Test(arguments: CallState.allCases)
    func dataIsTakenUntilTheBackendFinished(_ state: CallState) {
        var machine = CallMachine.make(in: state)
        let expected: UpstreamCallStateMachine.OnData = (state == .closing || state == .finished) ? .discard : .deliver
        #expect(machine.receiveData(CallMachine.message("x")) == expected)
    }

    @Test func messagesSplitAcrossChunksAreDeliveredWhole() {
        var machine = CallMachine.make(in: .active)
        _ = machine.receiveHeaders(CallMachine.okHeaders, endStream: false)
        var bytes = CallMachine.message("hello")
        let head = bytes.readSlice(length: 3)!
        _ = machine.receiveData(head)
        #expect(machine.nextDelivery().isStop)
        _ = machine.receiveData(bytes)
        #expect(machine.nextDelivery().message == ByteBuffer(string: "hello"))
        #expect(machine.nextDelivery().isStop)
    }

    @Test func aResponseEndingInsideAMessageIsInternal() throws {
        var machine = CallMachine.make(in: .active)
        _ = machine.receiveHeaders(CallMachine.okHeaders, endStream: false)
        _ = machine.receiveData(ByteBuffer(bytes: [0, 0, 0, 0, 9, 1, 2]))
        _ = machine.receiveHeaders([("grpc-status", "0")], endStream: true)
        let finish = try #require(machine.nextDelivery().finish)
        #expect(finish.status == GRPCStatus(code: .internalError, message: "response ended inside a message"))
    }

    @Test func aTooLargeMessageResetsTheStream() throws {
        var machine = CallMachine.make(in: .active, maxMessageLength: 4)
        _ = machine.receiveHeaders(CallMachine.okHeaders, endStream: false)
        _ = machine.receiveData(CallMachine.message("12345"))
        let finish = try #require(machine.nextDelivery().finish)
        #expect(
            finish.status
                == GRPCStatus(code: .resourceExhausted, message: "response message of 5 bytes exceeds the limit of 4")
        )
        #expect(finish.streamID == 1)
        #expect(finish.reset == http2CancelCode)
    }

    @Test func compressedMessagesNeedGzipEncoding() throws {
        let compressed = Gzip.compress(ByteBuffer(string: "inflated"))
        var gzip = CallMachine.make(in: .active)
        _ = gzip.receiveHeaders(CallMachine.okHeaders + [("grpc-encoding", "GZIP")], endStream: false)
        _ = gzip.receiveData(CallMachine.message(compressed, compressed: true))
        #expect(gzip.nextDelivery().message == ByteBuffer(string: "inflated"))

        var identity = CallMachine.make(in: .active)
        _ = identity.receiveHeaders(CallMachine.okHeaders + [("grpc-encoding", "identity")], endStream: false)
        _ = identity.receiveData(CallMachine.message(compressed, compressed: true))
        let finish = try #require(identity.nextDelivery().finish)
        #expect(finish.status.message == "backend sent a compressed message with no grpc-encoding; Portico reads gzip")
        #expect(finish.reset == http2CancelCode)

        var corrupt = CallMachine.make(in: .active)
        _ = corrupt.receiveHeaders(CallMachine.okHeaders + [("grpc-encoding", "gzip")], endStream: false)
        _ = corrupt.receiveData(CallMachine.message(ByteBuffer(bytes: [0x1F, 0x8B, 8, 0, 1, 2]), compressed: true))
        let corruptFinish = try #require(corrupt.nextDelivery().finish)
        #expect(corruptFinish.status.code == .internalError)
        #expect(corruptFinish.status.message.hasPrefix("cannot inflate a gzip response message: "))
    }

    @Test func nothingIsDeliveredWhilePausedOrOnceFinished() {
        var machine = CallMachine.make(in: .active)
        _ = machine.receiveHeaders(CallMachine.okHeaders, endStream: false)
        _ = machine.receiveData(CallMachine.message("a"))
        machine.pause()
        #expect(machine.nextDelivery().isStop)
        _ = machine.resume()
        _ = machine.cancel()
        #expect(machine.nextDelivery().isStop)
    }

    // MARK: Stream closed

    @Test(arguments: [
        (UInt32(0), GRPCStatus(code: .internalError, message: "backend closed the stream without sending trailers")),
        (UInt32(0x8), GRPCStatus(code: .cancelled, message: "stream reset by the backend (HTTP/2 error code 8)")),
        (UInt32(0x7), GRPCStatus(code: .unavailable, message: "stream reset by the backend (HTTP/2 error code 7)")),
    ])
    func aStreamClosedBeforeTheStatusFinishesTheCall(errorCode: UInt32, status: GRPCStatus) throws {
        var machine = CallMachine.make(in: .active)
        // Headers first: a refused stream that answered is not requeued.
        _ = machine.receiveHeaders(CallMachine.okHeaders, endStream: false)
        let action = machine.streamClosed(errorCode: errorCode, canRequeue: true)
        guard case .finish(let finish) = action else {
            Issue.record("expected a finish, got \(action)")
            return
        }
        #expect(finish.status == status)
        #expect(finish.reset == nil)
    }

    @Test(arguments: [true, false])
    func aRefusedStreamIsRequeuedWhenItHasAClient(canRequeue: Bool) {
        var machine = CallMachine.make(in: .active)
        let action = machine.streamClosed(errorCode: http2RefusedStreamCode, canRequeue: canRequeue)
        switch action {
        case .requeue:
            #expect(canRequeue)
            #expect(machine.isWaiting)
        case .finish(let finish):
            #expect(!canRequeue)
            #expect(finish.status.code == .unavailable)
        case .none:
            Issue.record("a refused stream was ignored")
        }
    }

    @Test(arguments: [CallState.closing, .finished])
    func aStreamClosedAfterTheStatusIsIgnored(_ state: CallState) {
        var machine = CallMachine.make(in: state)
        guard case .none = machine.streamClosed(errorCode: 0, canRequeue: true) else {
            Issue.record("expected the close to be ignored")
            return
        }
        #expect(machine.state.name == state)
    }
}
