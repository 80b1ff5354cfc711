/// The request messages of a call kept for one transparent retry (a stream the backend refused
/// unprocessed), as its send buffer took them. The first is held inline: a unary call keeps its
/// one message without an array.
struct ReplayMessages {
    private var first: GRPCSendBuffer.Appended?
    private var rest: [GRPCSendBuffer.Appended] = []
    /// Request bytes kept (prefixes not counted).
    private(set) var bytes = 0

    /// Keeps one more message of `bytes` bytes.
    mutating func append(_ message: GRPCSendBuffer.Appended, bytes: Int) {
        self.bytes += bytes
        if self.first == nil {
            self.first = message
        } else {
            self.rest.append(message)
        }
    }

    /// The messages in send order.
    func forEachMessage(_ body: (GRPCSendBuffer.Appended) -> Void) {
        guard let first else { return }
        body(first)
        for message in rest { body(message) }
    }
}
