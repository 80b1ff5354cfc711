public import GRPCCore
import SwiftProtobuf

/// `demo.chat.v1.ChatService`: the tutorial's bidirectional chat. Each message is answered as
/// soon as it arrives with `"you said: <message>"`; the reply stream ends when the client ends,
/// or at once after the message `/quit` (answered `"bye"`), whatever the client still sends: a
/// server that is done before its client, like the tutorial's Go chat.
public struct DemoChatService: Demo_Chat_V1_ChatService.SimpleServiceProtocol {
    /// The message that ends the chat from the server's side.
    public static let quit = "/quit"

    /// Creates the service.
    public init() {}

    /// Replies to every request message in turn, without waiting for the request stream to end.
    public func textChat(
        request: RPCAsyncSequence<Demo_Chat_V1_TextRequest, any Error>,
        response: RPCWriter<Demo_Chat_V1_TextResponse>,
        context: ServerContext
    ) async throws {
        for try await message in request {
            if message.message == Self.quit {
                try await response.write(.with { $0.message = "bye" })
                return
            }
            try await response.write(.with { $0.message = "you said: \(message.message)" })
        }
    }
}
