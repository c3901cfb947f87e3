public import MessageBus
import Foundation

/// Request/response over RabbitMQ's direct reply-to (`amq.rabbitmq.reply-to`): no reply queue to declare or
/// clean up, and each request is matched to its reply by correlation id.
extension RabbitMQMessageBus {
    /// Publishes a request and waits for its reply.
    ///
    /// The request is published mandatory (a request no queue receives fails at once with
    /// ``/MessageBus/MessageBusError/Code/unroutable`` rather than at the timeout), with `reply-to` set to direct
    /// reply-to and a correlation id: the message's own, or a new ``/MessageBus/Message/generateID()``. A responder
    /// answers with ``reply(to:with:)``.
    ///
    /// A reply cannot survive the connection it was addressed to: if the connection is lost while waiting, the
    /// request fails with `.connectionFailed` (the responder may still have processed it), and is not resent.
    ///
    /// A cancelled task throws `CancellationError` at once; the request may already have been published, and its
    /// reply, if one comes, is dropped. Its correlation id stays reserved until `timeout` has passed.
    ///
    /// - Parameters:
    ///   - message: The request; its key is the routing key.
    ///   - exchange: The exchange to publish to (a destination, an exchange declared with
    ///     ``declare(_:)-(RabbitMQExchange)``, or `amq.direct`).
    ///   - timeout: How long to wait for the reply, publishing included.
    /// - Returns: The reply.
    /// - Throws: ``/MessageBus/MessageBusError`` with `.timeout` when no reply came in time, `.unroutable` when no
    ///   queue received the request, `.connectionFailed` when the connection was lost meanwhile,
    ///   `.invalidConfiguration` when a request with the same correlation id is still waiting for its reply (the
    ///   replies could not be told apart), and `.closed` after ``close(deadline:)``.
    public func request(_ message: Message, to exchange: String, timeout: Duration) async throws -> Message {
        try self.ensureOpen()
        try RabbitMQName.validate(exchange, role: "exchange")
        guard timeout > .zero else {
            throw MessageBusError.invalidConfiguration(key: "timeout", value: "\(timeout)", expected: "a positive duration")
        }
        var request = message
        let correlationID = message.correlationID ?? Message.generateID()
        request.correlationID = correlationID
        request.headers.injectCurrentTraceContext()
        let reply = AsyncOneShot<Message>()
        let owner = self.owner
        let publish = PublishRequest(
            exchange: exchange, messages: [request], deadline: .now + timeout, mandatory: true,
            properties: RabbitMQMessageProperties(replyTo: AMQPConnectionOwner.directReplyTo), expectsReply: true,
            completion: { result in
                // Runs on the owner thread once the broker confirmed (nothing to do) or refused the request.
                guard case .failure(let error) = result else { return }
                owner.failRequest(correlationID, error)
                reply.fulfill(.failure(error))
            })
        guard await self.queue.submit(.request(RPCRequest(
            publish: publish, correlationID: correlationID, completion: { reply.fulfill($0) })))
        else { throw CancellationError() }
        return try await reply.value
    }

    /// Answers a request received from ``request(_:to:timeout:)`` (or any client that sets `reply-to`): publishes
    /// `response` to the request's reply-to address through the default exchange, with the request's
    /// correlation id, and waits for the broker's confirm.
    ///
    /// A requester that stopped waiting (its timeout passed, its connection closed) is not an error: RabbitMQ
    /// drops a reply to a reply-to address nobody consumes.
    ///
    /// - Throws: ``/MessageBus/MessageBusError`` with `.invalidConfiguration` when the delivery has no reply-to,
    ///   and `.closed` after ``close(deadline:)``.
    public func reply(to request: Delivery, with response: Message) async throws {
        try self.ensureOpen()
        guard let replyTo = request.rabbitMQProperties.replyTo else {
            throw MessageBusError(
                .invalidConfiguration,
                "delivery \(request.tag) of '\(request.destination)' (message '\(request.message.id)') has no reply-to "
                    + "address to answer")
        }
        var reply = response
        reply.key = replyTo
        reply.correlationID = request.message.correlationID
        let done = AsyncOneShot<Void>()
        try await self.submitPublish(
            [reply], to: "", options: RabbitMQPublishOptions(mandatory: false), done: done, checkingDestination: false)
        try await done.value
    }
}
