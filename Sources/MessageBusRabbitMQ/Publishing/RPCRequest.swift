import MessageBus

/// A request awaiting its response on direct reply-to: the publish, and the caller to resume with the reply.
struct RPCRequest: Sendable {
    let publish: PublishRequest
    let correlationID: String
    let completion: @Sendable (Result<Message, MessageBusError>) -> Void
}
