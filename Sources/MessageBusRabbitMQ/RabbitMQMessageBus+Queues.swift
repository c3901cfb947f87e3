public import MessageBus

extension RabbitMQMessageBus {
    /// The durable queue that holds subscriber group `group` of `destination`: `<destination>.<group>` (shortened
    /// with a hash to AMQP's 255 bytes when longer), bound to
    /// the destination's exchange with `#`. Read the group's depth and consumers with ``inspectQueue(_:)``.
    public static func groupQueueName(destination: String, group: String) -> String {
        RabbitMQName.groupQueue(destination: destination, group: group)
    }

    /// Consumes a queue that exists (declared with ``declare(_:)-(RabbitMQQueue)`` or by another application), as
    /// it is: nothing is declared or bound.
    ///
    /// Deliveries report the queue as their destination and `nil` as their group. Settling works as on every
    /// subscription, except ``/MessageBus/Delivery/reject(reason:)``: it is a `basic.nack` without requeue, which
    /// RabbitMQ dead-letters through the queue's own `x-dead-letter-exchange` (adding its `x-death` header) or
    /// drops when the queue has none; the reason is logged, not sent. Set
    /// ``/MessageBus/SubscriptionOptions/deadLetterDestination`` to have rejected messages copied there instead,
    /// with the reason, as on destination subscriptions.
    ///
    /// ## Streams
    /// For a stream queue, `streamOffset` says where to start (RabbitMQ's default is ``RabbitMQStreamOffset/next``);
    /// each delivery's ``/MessageBus/Delivery/position`` carries its offset, so an application can remember where it
    /// stopped and resume with ``RabbitMQStreamOffset/offset(_:)``. Consuming never removes messages from a stream:
    /// acknowledging only lets the broker send more (within the prefetch), and a requeue does not redeliver. After
    /// a connection recovery the consumer resumes at the first message it had not handed to the application, rather
    /// than at `streamOffset` again.
    ///
    /// - Parameters:
    ///   - queue: The queue's name.
    ///   - options: Prefetch and dead-letter destination; the start position does not apply (see `streamOffset`).
    ///   - streamOffset: Where a consumer of a stream queue starts; `nil` for other queues.
    /// - Throws: ``/MessageBus/MessageBusError`` with `.unknownDestination` when the queue does not exist,
    ///   `.invalidConfiguration` when it is exclusive to another connection, and `.closed` after
    ///   ``close(deadline:)``.
    public func subscribe(
        toQueue queue: String, options: SubscriptionOptions = SubscriptionOptions(),
        streamOffset: RabbitMQStreamOffset? = nil
    ) async throws -> Subscription {
        try self.ensureOpen()
        try RabbitMQName.validate(queue, role: "queue")
        if let deadLetterDestination = options.deadLetterDestination {
            try DestinationName.validate(deadLetterDestination, role: "dead-letter destination")
        }
        return try await self.startSubscription(
            .queue(queue, arguments: streamOffset?.consumeArguments ?? AMQPArguments()), destination: queue,
            group: nil, options: options, deadLetterDestination: options.deadLetterDestination)
    }
}
