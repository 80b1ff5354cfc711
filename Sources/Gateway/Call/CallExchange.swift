import NIOCore
import Prometheus
import ProtoSchema
import Upstream

/// One request's upstream call, for an HTTP client or a WebSocket session alike, all on the
/// request's event loop. The client side is a ``CallClient``; the exchange owns the call,
/// backpressure both ways and retries, and is complete when its initializer returns (the call is
/// started by then).
///
/// Request side: a whole request message (unary and server-streaming calls), or a body cut into
/// messages as it arrives (``RequestStreamEncoder``: client-streaming and bidi calls, and
/// WebSocket frames), each sent upstream at once. Response side: headers, messages and the end go
/// to the client. Backpressure: a full upstream send buffer stops reading the client; an
/// unwritable client socket pauses the upstream stream. Retries: a unary call whose attempt fails
/// with a retryable status before anything reached the client is made again after a backoff,
/// within its first deadline and its backend's retry budget.
final class CallExchange: UpstreamCallDelegate {
    /// The route's plan.
    let plan: RoutePlan
    /// The current attempt.
    private(set) var call: UpstreamCall
    private let cluster: LoopCluster
    private var client: (any CallClient)?
    private var requestEncoder: RequestStreamEncoder?
    private var receiveGate = UpstreamReceiveGate()
    private var retry: CallRetry?
    /// The metadata sent, kept for another attempt (methods with a retry policy only).
    private let retryMetadata: [(name: String, value: String)]?
    private var receivedHeaders = false
    private var finished = false
    /// Where the call is counted; nil with `metrics.enabled: false`.
    private let metrics: GatewayMetrics?
    private let started: NIODeadline
    /// `portico_stream_messages_total` both ways; nil for unary calls (one message each way:
    /// their count is the call count of `rpc_client_call_duration_seconds`).
    private let messagesSent: Counter?
    private let messagesReceived: Counter?

    /// Makes and starts the call.
    /// - Parameters:
    ///   - plan: The route's plan.
    ///   - cluster: This event loop's share of the plan's backend.
    ///   - metadata: The request metadata.
    ///   - timeout: The call's deadline from now, if any.
    ///   - client: The client side, which hears of the response.
    ///   - requestEncoder: Cuts a streamed body (or WebSocket frames) into messages.
    ///   - metrics: Where the call's duration and messages are counted; nil: nowhere.
    /// - Throws: ``GatewayError`` when the backend refuses the call (at its concurrency limit).
    init(
        plan: RoutePlan,
        cluster: LoopCluster,
        metadata: [(name: String, value: String)],
        timeout: TimeAmount?,
        client: any CallClient,
        requestEncoder: RequestStreamEncoder? = nil,
        metrics: GatewayMetrics?
    ) throws(GatewayError) {
        do {
            self.call = try cluster.makeCall(path: plan.method.grpcPath, metadata: metadata, timeout: timeout)
        } catch {
            throw GatewayError(error)
        }
        self.plan = plan
        self.cluster = cluster
        self.client = client
        self.requestEncoder = requestEncoder
        self.retryMetadata = plan.retry == nil ? nil : metadata
        self.metrics = metrics
        self.started = cluster.eventLoop.now
        let isStream = plan.method.isClientStreaming || plan.method.isServerStreaming
        if isStream, let metrics {
            self.messagesSent = plan.telemetry.messageCounter(sent: true, metrics: metrics)
            self.messagesReceived = plan.telemetry.messageCounter(sent: false, metrics: metrics)
        } else {
            self.messagesSent = nil
            self.messagesReceived = nil
        }
        call.start(delegate: self)
    }

    // MARK: Request side

    /// Sends the whole request message and half-closes (unary and server-streaming calls).
    func sendWhole(_ request: consuming ByteBuffer) {
        guard !finished else { return }
        if let policy = plan.retry {
            // Kept for another attempt: the call then frames a copy, not this one.
            retry = CallRetry(
                policy: policy,
                throttle: cluster.cluster.retryThrottle,
                request: copy request,
                deadline: call.deadline
            )
        }
        messagesSent?.increment()
        call.send(message: request)
        call.finish()
    }

    /// A chunk of a streamed request body: encodes the complete messages and sends them now.
    func requestBody(_ chunk: ByteBuffer, allocator: ByteBufferAllocator) {
        guard !finished, var encoder = requestEncoder else { return }
        do {
            var messages = try encoder.append(chunk, allocator: allocator)
            requestEncoder = encoder
            sendAll(&messages)
        } catch {
            requestEncoder = encoder
            fail(error)
            return
        }
        if call.isSendBufferFull { client?.pauseReadingClient() }
    }

    /// One WebSocket frame: exactly one request message.
    func requestFrame(_ payload: ByteBuffer, allocator: ByteBufferAllocator) {
        guard !finished, var encoder = requestEncoder else { return }
        do {
            let message = try encoder.encode(frame: payload, allocator: allocator)
            requestEncoder = encoder
            messagesSent?.increment()
            call.send(message: message)
        } catch {
            requestEncoder = encoder
            fail(error)
            return
        }
        if call.isSendBufferFull { client?.pauseReadingClient() }
    }

    /// The streamed request body ended: sends what is left and half-closes.
    func requestEnded(allocator: ByteBufferAllocator) {
        guard !finished else { return }
        if var encoder = requestEncoder {
            do {
                var messages = try encoder.finish(allocator: allocator)
                sendAll(&messages)
            } catch {
                fail(error)
                return
            }
            requestEncoder = encoder
        }
        call.finish()
    }

    /// Sends `messages` in order, each moved out of the array so the call holds its only
    /// reference (and frames it in place).
    private func sendAll(_ messages: inout [ByteBuffer]) {
        if !messages.isEmpty { messagesSent?.increment(by: Int64(messages.count)) }
        messages.reverse()
        while let message = messages.popLast() { call.send(message: message) }
    }

    /// Half-closes without sending anything more (a WebSocket client's close frame).
    func endRequestStream() {
        guard !finished else { return }
        call.finish()
    }

    /// Ends the call because of the client's input (a bad message in a stream), telling the
    /// client side with `error`.
    func fail(_ error: GatewayError) {
        guard !finished else { return }
        call.cancel()
        finish(.failed(error, trailers: []))
    }

    // MARK: Client connection

    /// The client went away: cancels the upstream stream at once.
    /// - Returns: The call's summary (`CANCELLED`), unless it had already ended.
    @discardableResult
    func clientDisconnected() -> CallSummary? {
        guard !finished else { return nil }
        finished = true
        client = nil
        call.cancel()
        return recordEnd(.cancelled)
    }

    /// The client's socket filled or drained: pauses or resumes the upstream stream.
    func clientWritabilityChanged(isWritable: Bool) {
        guard !finished else { return }
        receiveGate.follow(clientWritable: isWritable, call: call)
    }

    private func finish(_ outcome: CallOutcome) {
        finished = true
        let status: GRPCStatus.Code
        switch outcome {
        case .ok: status = .ok
        case .failed(let error, _): status = error.code.status
        }
        let summary = recordEnd(status)
        let client = self.client.take()
        client?.callFinished(outcome, summary: summary)
    }

    /// Counts the ended call in `rpc_client_call_duration_seconds`.
    private func recordEnd(_ status: GRPCStatus.Code) -> CallSummary {
        let duration = call.eventLoop.now - started
        if let metrics { plan.telemetry.recordCall(status: status, duration: duration, metrics: metrics) }
        return CallSummary(
            status: status,
            endpoint: call.endpoint,
            endpointLabel: call.endpointLabel,
            duration: duration
        )
    }

    // MARK: UpstreamCallDelegate

    func upstreamCall(_ call: UpstreamCall, didReceiveHeaders headers: [(name: String, value: String)]) {
        guard !finished, call === self.call else { return }
        receivedHeaders = true
        client?.callReceivedHeaders(headers)
    }

    func upstreamCall(_ call: UpstreamCall, didReceiveMessage message: ByteBuffer) {
        guard !finished, call === self.call, let client else { return }
        messagesReceived?.increment()
        do {
            try client.callReceivedMessage(message)
        } catch {
            call.cancel()
            finish(.failed(error, trailers: []))
            return
        }
        receiveGate.follow(clientWritable: client.isClientWritable, call: call)
    }

    func upstreamCall(_ call: UpstreamCall, didFinishWith status: GRPCStatus, trailers: [(name: String, value: String)])
    {
        guard !finished, call === self.call else { return }
        if retry != nil, let client {
            let mayRetry = !receivedHeaders && !client.hasStartedResponse
            let now = call.eventLoop.now
            if let delay = retry?.nextAttempt(
                after: status,
                mayRetry: mayRetry,
                now: now,
                jitter: .random(in: 0.8...1.2)
            ) {
                // Nothing of this attempt reached the client: try again after the backoff.
                call.eventLoop.assumeIsolated().scheduleTask(in: delay) { [self] in self.attemptAgain() }
                return
            }
        }
        if let error = GatewayError(status: status) {
            finish(.failed(error, trailers: trailers))
        } else {
            finish(.ok(trailers: trailers))
        }
    }

    func upstreamCallSendBufferDrained(_ call: UpstreamCall) {
        guard !finished, call === self.call else { return }
        client?.resumeReadingClient()
    }

    /// Another attempt of a unary call: same request, within the first attempt's deadline.
    private func attemptAgain() {
        guard !finished, let retry, let metadata = retryMetadata else { return }
        do {
            call = try cluster.makeCall(
                path: plan.method.grpcPath,
                metadata: metadata,
                timeout: retry.remainingTimeout(now: call.eventLoop.now)
            )
        } catch {
            finish(.failed(GatewayError(error), trailers: []))
            return
        }
        receivedHeaders = false
        receiveGate = UpstreamReceiveGate()
        if let metrics { plan.telemetry.recordPolicyRetry(metrics: metrics) }
        call.start(delegate: self)
        messagesSent?.increment()
        call.send(message: retry.request)
        call.finish()
    }
}

@available(*, unavailable)
extension CallExchange: Sendable {}
