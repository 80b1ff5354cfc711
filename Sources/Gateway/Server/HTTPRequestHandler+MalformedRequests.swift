import NIOCore
import NIOHTTP1

/// Requests NIO's HTTP/1.1 parser refuses (a space in the target, a bad header name, an oversized
/// header block, a bad chunk size...) get a google.rpc.Status JSON error like any other bad input,
/// instead of NIO's empty 400.
extension HTTPRequestHandler {
    /// Answers a request the HTTP parser refused with a JSON error, then closes: the parser
    /// cannot find where a next request would start. Requests before it are answered first;
    /// a request body cut by it (a streaming call) ends the connection with no answer.
    func refuseMalformedRequest(_ error: GatewayError, context: ChannelHandlerContext) {
        switch state {
        case .collecting(let head, _, _), .discarding(let head, _):
            respond(to: head, error: error, forceClose: true)
        case .idle, .calling:
            malformedRequest = error
            answerMalformedRequestIfDue()
        case .streaming, .draining:
            context.close(promise: nil)
        }
    }

    /// Answers a held-back parse error once every request before it has been answered.
    /// - Returns: whether it did (the connection is then closing).
    @discardableResult
    func answerMalformedRequestIfDue() -> Bool {
        guard pipelined.isEmpty, case .idle = state, let error = malformedRequest else { return false }
        malformedRequest = nil
        respond(to: Self.unparsedRequest, error: error, forceClose: true)
        return true
    }

    /// The head used to answer bytes that never parsed into a request.
    private static let unparsedRequest = HTTPRequestHead(version: .http1_1, method: .GET, uri: "/")
}
