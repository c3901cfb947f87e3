public import MessageBus
import Synchronization

extension RabbitMQMessageBus {
    /// Publishes messages with RabbitMQ-specific options (mandatory routing, AMQP properties) and waits until
    /// the broker confirmed every one.
    ///
    /// - Parameters:
    ///   - messages: The messages, published in order.
    ///   - destination: The destination (topic exchange).
    ///   - options: Mandatory routing and the AMQP properties set on every message.
    /// - Throws: ``/MessageBus/MessageBusError`` with `.unroutable` (naming the exchange and routing key) when a
    ///   mandatory message reached no queue, `.invalidConfiguration` for a property out of range, `.timeout` when
    ///   the confirm did not come within the publish timeout, and `.closed` after ``close(deadline:)``.
    public func publish(contentsOf messages: [Message], to destination: String, options: RabbitMQPublishOptions)
        async throws
    {
        try await self.publish(contentsOf: messages, to: destination, options: options, checkingDestination: true)
    }

    /// ``publish(contentsOf:to:options:)``; with `checkingDestination` `false`, a publish of the library's own (a
    /// redelivery through the default exchange, a dead letter), which skips the name check and is not counted in
    /// `messagebus.published`.
    func publish(
        contentsOf messages: [Message], to destination: String, options: RabbitMQPublishOptions,
        checkingDestination: Bool
    ) async throws {
        guard !messages.isEmpty else { return }
        let done = AsyncOneShot<Void>()
        try await self.submitPublish(
            messages, to: destination, options: options, done: done, checkingDestination: checkingDestination)
        try await done.value
        if checkingDestination { self.published.record(messages.count) }
    }

    /// Declares the retry queue `name` of `queue` unless this bus already did: a classic queue whose messages,
    /// each with its own expiration, are dead-lettered back to `queue` through the default exchange once expired.
    /// The retry queue of a broadcast queue (which goes away with its subscriber) expires after an hour unused.
    func ensureRetryQueue(_ name: String, returningTo queue: String, isGroupQueue: Bool) async throws {
        guard !self.declaredRetryQueues.withLock({ $0.contains(name) }) else { return }
        _ = try await self.declare(RabbitMQQueue(
            name, type: .classic, durable: isGroupQueue, expires: isGroupQueue ? nil : .seconds(3600),
            deadLetterExchange: "", deadLetterRoutingKey: queue))
        self.declaredRetryQueues.withLock { _ = $0.insert(name) }
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
    /// - Throws: ``/MessageBus/MessageBusError`` with `.invalidConfiguration` for a property out of range and
    ///   `.closed` after ``close(deadline:)``.
    public func send(contentsOf messages: [Message], to destination: String, options: RabbitMQPublishOptions)
        async throws
    {
        guard !messages.isEmpty else { return }
        try await self.submitPublish(messages, to: destination, options: options, done: nil)
        self.published.record(messages.count)
    }
}
