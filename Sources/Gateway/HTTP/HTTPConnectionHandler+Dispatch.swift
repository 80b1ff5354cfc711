import NIOCore
import NIOHTTP1
import ProtoSchema
import Routing

/// Routing a request head and starting its call.
extension HTTPConnectionHandler {
    /// Routes `head` against the loop's current snapshot (which the request keeps to its end).
    func route(_ head: HTTPRequestHead) -> HTTPConnectionStateMachine<RoutedRequest, CallExchange>.Routing {
        let live = loop.current
        let snapshot = live.snapshot
        beginRecord(head)
        let expectsContinue = head.headers[canonicalForm: "expect"].contains { $0.lowercased() == "100-continue" }
        func refuse(_ error: GatewayError) -> HTTPConnectionStateMachine<RoutedRequest, CallExchange>.Routing {
            // A client waiting for 100 Continue gets its answer now, not after a body it holds back.
            expectsContinue ? .answerNow(.error(error)) : .answer(.error(error))
        }
        if head.headers[canonicalForm: "upgrade"].contains(where: { $0.lowercased() == "websocket" }) {
            // NIO's upgrade handler passed the request on: the upgrade was refused.
            if let context, let admission = loop.takeAdmission(handshakeOn: context.channel),
                case .failure(let refusal) = admission
            {
                return refuse(refusal)
            }
            return refuse(WebSocketRouting.refusal(head, live: live))
        }
        let (path, query) = head.pathAndQuery
        cors = nil
        if head.method == .OPTIONS, let preflight = corsPreflight(head, path: path, snapshot: snapshot) {
            return .answer(preflight)
        }
        let lookup: RouteLookup
        do {
            let routed = APIKeyVerifier.query(query, without: snapshot.credentialQueryParameters)
            lookup = try snapshot.routes.lookup(method: head.method.rawValue, path: path, query: routed)
        } catch {
            return refuse(.invalidArgument(error.message, cause: error))
        }
        switch lookup {
        case .matched(let match):
            var request = RoutedRequest(live: live, match: match, plan: snapshot.plan(for: match.route))
            record?.route = request.plan.telemetry
            if let policy = request.plan.cors { beginCORS(head, plan: request.plan, policy: policy) }
            switch request.admit(head, query: query, peer: clientAddress, on: loop.eventLoop) {
            case .admitted:
                return proceed(head, request: request, expectsContinue: expectsContinue)
            case .refused(let refusal):
                return refuse(refusal)
            case .pending(let outcome):
                outcome.assumeIsolated().whenSuccess { [self] result in
                    self.admissionSettled(head, request: request, result: result, expectsContinue: expectsContinue)
                }
                return .hold
            }
        case .methodNotAllowed(let allowed):
            return refuse(.methodNotAllowed(method: head.method.rawValue, path: String(path), allowed: allowed))
        case .notFound:
            // No route may have the document's path (checked at load): asked only on a miss.
            if let document = snapshot.servedDocument, path.utf8.elementsEqual(document.path.utf8) {
                guard head.method == .GET || head.method == .HEAD else {
                    return refuse(
                        .methodNotAllowed(method: head.method.rawValue, path: document.path, allowed: ["GET", "HEAD"])
                    )
                }
                return .answer(.document(contentType: document.contentType, body: document.body))
            }
            return refuse(.notFound(method: head.method.rawValue, path: String(path)))
        }
    }

    /// An admitted request goes on: its body streams into a call started now (client-streaming
    /// and bidi methods) or is collected first.
    private func proceed(
        _ head: HTTPRequestHead,
        request: RoutedRequest,
        expectsContinue: Bool
    ) -> HTTPConnectionStateMachine<RoutedRequest, CallExchange>.Routing {
        let routing: HTTPConnectionStateMachine<RoutedRequest, CallExchange>.Routing
        if request.plan.method.isClientStreaming {
            do {
                routing = .stream(try startStreamingCall(head: head, request: request))
            } catch {
                return expectsContinue ? .answerNow(.error(error)) : .answer(.error(error))
            }
        } else {
            routing = .collect(request, limit: request.live.snapshot.config.limits.maxRequestBodyBytes)
        }
        if expectsContinue, let context {
            let interim = HTTPResponseHead(version: head.version, status: .continue)
            context.writeAndFlush(wrapOutboundOut(.head(interim)), promise: nil)
        }
        return routing
    }

    /// The held request's token was verified: it goes on or is refused, then the parts that
    /// queued while it was held are served.
    private func admissionSettled(
        _ head: HTTPRequestHead,
        request: RoutedRequest,
        result: Result<RouteAdmission.Admitted, GatewayError>,
        expectsContinue: Bool
    ) {
        guard context != nil else { return }
        var request = request
        let routing: HTTPConnectionStateMachine<RoutedRequest, CallExchange>.Routing
        switch result {
        case .success(let admitted):
            request.admitted = admitted
            routing = proceed(head, request: request, expectsContinue: expectsContinue)
        case .failure(let refusal):
            routing = expectsContinue ? .answerNow(.error(refusal)) : .answer(.error(refusal))
        }
        perform(machine.settled(routing, head: head, now: loop.eventLoop.now))
        while context != nil, let action = machine.nextQueuedPart(now: loop.eventLoop.now) {
            perform(action)
        }
        if machine.readAfterHold() { context?.read() }
    }

    /// Builds the collected request's message and starts its call; answers the request itself
    /// when either fails.
    func startCall(head: HTTPRequestHead, request: RoutedRequest, body: ByteBuffer) {
        guard let context else { return }
        let exchange: CallExchange
        let message: ByteBuffer
        do {
            message = try RequestBuilder.build(
                request.plan.request,
                bindings: request.match.bindings,
                body: body,
                contentType: head.headers.first(name: "content-type"),
                allocator: context.channel.allocator
            )
            exchange = try makeExchange(head: head, request: request, encoder: nil)
        } catch {
            respond(to: head, error: error)
            return
        }
        machine.callStarted(exchange, head: head)
        exchange.sendWhole(consume message)
    }

    /// Starts a client-streaming or bidi call at the request head; its body streams into it.
    private func startStreamingCall(head: HTTPRequestHead, request: RoutedRequest) throws(GatewayError) -> CallExchange
    {
        guard let context else { throw GatewayError(code: .unavailable, message: "the connection closed") }
        let encoder = try RequestStreamEncoder(
            plan: request.plan.request,
            bindings: request.match.bindings,
            contentType: head.headers.first(name: "content-type"),
            maxMessageBytes: request.live.snapshot.config.streaming.maxMessageBytes,
            allocator: context.channel.allocator
        )
        return try makeExchange(head: head, request: request, encoder: encoder)
    }

    private func makeExchange(
        head: HTTPRequestHead,
        request: RoutedRequest,
        encoder: RequestStreamEncoder?
    ) throws(GatewayError) -> CallExchange {
        let snapshot = request.live.snapshot
        let plan = request.plan
        var metadata = snapshot.headerPolicy.metadata(
            for: head.headers,
            clientAddress: clientAddress,
            scheme: snapshot.scheme
        )
        if let id = record?.requestID { RequestID.forward(id, in: &metadata) }
        request.admitted?.apply(to: &metadata)
        return try CallExchange(
            plan: plan,
            cluster: request.live.clusters[plan.backend],
            metadata: metadata,
            timeout: try CallStart.timeout(for: plan, headers: head.headers),
            client: ResponseEmitter(connection: self, head: head, plan: plan, snapshot: snapshot),
            requestEncoder: encoder,
            metrics: snapshot.config.metricsEnabled ? loop.telemetry.metrics : nil
        )
    }
}
