import NIOCore
import NIOHTTP1
import TextCoding

/// The per-request inputs of a call that come from the request head: its deadline and its
/// metadata.
enum CallStart {
    /// The call's timeout: the client's `Grpc-Timeout`, else the route's default
    /// (``RoutePlan/defaultTimeout``: `methods.<name>.timeout`, or the backend's `timeout` for
    /// unary calls); nil = no deadline (a stream lives as long as its client wants).
    /// - Throws: ``GatewayError`` when `Grpc-Timeout` is malformed.
    static func timeout(for plan: RoutePlan, headers: HTTPHeaders) throws(GatewayError) -> TimeAmount? {
        guard let header = headers.first(name: "grpc-timeout") else { return plan.defaultTimeout }
        guard let nanoseconds = GRPCTimeout.parse(header) else {
            throw .invalidArgument("malformed Grpc-Timeout header \"\(header)\"")
        }
        return .nanoseconds(nanoseconds)
    }
}
