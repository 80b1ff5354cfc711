import NIOCore
import NIOHTTP1
import ProtoSchema
import Routing
import TextCoding
import Upstream

extension LoopUpstreams {
    /// Starts the upstream call of a matched route, for an HTTP request or a WebSocket session.
    ///
    /// The deadline is the request's `Grpc-Timeout`; without one, a unary call gets its
    /// backend's `timeout`, while a stream (a download at 1 MB/s, a chat) lives as long as its
    /// client wants. Request headers become metadata through the snapshot's ``HeaderPolicy``.
    /// - Throws: ``GatewayError`` when no backend serves the method or `Grpc-Timeout` is malformed.
    func startCall(
        route: Route,
        headers: HTTPHeaders,
        clientAddress: String?,
        snapshot: GatewaySnapshot,
        delegate: any UpstreamCallDelegate,
        deadline: NIODeadline? = nil
    ) throws(GatewayError) -> UpstreamCall {
        let method = route.method
        guard let backend = snapshot.backendByService[method.serviceFullName], let client = client(for: backend) else {
            throw GatewayError(code: .unavailable, message: "no backend for \(method.serviceFullName)")
        }
        let timeout: TimeAmount?
        if let deadline {
            // A retry: what is left of the first attempt's deadline.
            timeout = max(deadline - .now(), .milliseconds(1))
        } else if let header = headers.first(name: "grpc-timeout") {
            guard let nanoseconds = GRPCTimeout.parse(header) else {
                throw .invalidArgument("malformed Grpc-Timeout header \"\(header)\"")
            }
            timeout = .nanoseconds(nanoseconds)
        } else if let methodTimeout = snapshot.config.methods[method.fullName]?.timeoutMilliseconds {
            timeout = .milliseconds(methodTimeout)
        } else if method.kind == .unary {
            timeout = snapshot.config.backends[backend]?.timeoutMilliseconds.map { .milliseconds($0) }
        } else {
            timeout = nil
        }
        let limit = limits[backend]
        if let limit, !limit.acquire() {
            throw GatewayError(
                code: .resourceExhausted,
                message: "backend \(backend) is at its limit of \(limit.limit) concurrent requests",
                httpStatusOverride: 503
            )
        }
        let metadata = snapshot.headerPolicy.metadata(
            for: headers,
            clientAddress: clientAddress,
            scheme: snapshot.config.tls == nil ? "http" : "https"
        )
        return client.startCall(
            path: method.grpcPath,
            metadata: metadata,
            timeout: timeout,
            delegate: delegate,
            onFinish: limit.map { limit in { limit.release() } }
        )
    }
}
