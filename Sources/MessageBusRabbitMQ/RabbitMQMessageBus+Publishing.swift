public import MessageBus

extension RabbitMQMessageBus {
    /// Publishes messages with RabbitMQ-specific options (mandatory routing, AMQP properties) and waits until
    /// the broker confirmed every one.
    ///
    /// - Parameters:
    ///   - messages: The messages, published in order.
    ///   - destination: The destination (topic exchange).
    ///   - options: Mandatory routing and the AMQP properties set on every message.
    /// - Throws: ``MessageBus/MessageBusError`` with `.unroutable` (naming the exchange and routing key) when a
    ///   mandatory message reached no queue, `.invalidConfiguration` for a property out of range, `.timeout` when
    ///   the confirm did not come within the publish timeout, and `.closed` after ``close(deadline:)``.
    public func publish(contentsOf messages: [Message], to destination: String, options: RabbitMQPublishOptions)
        async throws
    {
        guard !messages.isEmpty else { return }
        let done = OneShot<Void>()
        try await self.submitPublish(messages, to: destination, options: options, done: done)
        try await done.value
    }

    /// Publishes one message with RabbitMQ-specific options; see ``publish(contentsOf:to:options:)``.
    public func publish(_ message: Message, to destination: String, options: RabbitMQPublishOptions) async throws {
        try await self.publish(contentsOf: [message], to: destination, options: options)
    }

    /// Hands messages over with RabbitMQ-specific options without waiting for their confirms; the next
    /// ``flush()`` reports the first failure (an unroutable mandatory message included).
    ///
    /// - Parameters:
    ///   - messages: The messages, published in order.
    ///   - destination: The destination (topic exchange).
    ///   - options: Mandatory routing and the AMQP properties set on every message.
    /// - Throws: ``MessageBus/MessageBusError`` with `.invalidConfiguration` for a property out of range and
    ///   `.closed` after ``close(deadline:)``.
    public func send(contentsOf messages: [Message], to destination: String, options: RabbitMQPublishOptions)
        async throws
    {
        guard !messages.isEmpty else { return }
        try await self.submitPublish(messages, to: destination, options: options, done: nil)
    }
}
