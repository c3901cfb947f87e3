public import MessageBus

extension RabbitMQMessageBus {
    /// Takes the next message from a queue, if there is one (`basic.get`): polling, for batch jobs and tools
    /// that must not hold a consumer open.
    ///
    /// The delivery is settled as any other (ack, nack, reject as on ``subscribe(toQueue:options:streamOffset:)``);
    /// until then RabbitMQ keeps it unacknowledged. Under at-most-once it is taken with `no-ack`. Prefer a
    /// subscription for a steady flow: every `get` is a round trip to the broker, where a consumer's deliveries
    /// are pushed within its prefetch.
    ///
    /// All polled deliveries share one channel: when the broker closes it (a `get` from a queue that does not
    /// exist, say), every polled delivery not yet settled goes back to its queue and settling it throws
    /// ``/MessageBus/MessageBusError/Code/alreadySettled``.
    ///
    /// Under effectively-once, a message the bus already settled (by its id, in this queue) is acknowledged and
    /// skipped, and the next one is taken.
    ///
    /// - Parameter queue: The queue's name.
    /// - Returns: The delivery, or `nil` when the queue is empty.
    /// - Throws: ``/MessageBus/MessageBusError`` with `.unknownDestination` when the queue does not exist and
    ///   `.closed` after ``close(deadline:)``.
    public func get(from queue: String) async throws -> Delivery? {
        try self.ensureOpen()
        try RabbitMQName.validate(queue, role: "queue")
        while let delivery = try await self.getOne(from: queue) {
            if try await delivery.context.dropIfSettledBefore(delivery) { continue }
            return delivery
        }
        return nil
    }

    /// One `basic.get`.
    private func getOne(from queue: String) async throws -> Delivery? {
        let done = AsyncOneShot<InboundDelivery?>()
        await self.queue.submit(.get(queue: queue, poller: self.poller.request, { done.fulfill($0) }))
        let inbound: InboundDelivery?
        do {
            inbound = try await done.value
        } catch let cancellation as CancellationError {
            // Once submitted, the get runs: a message it takes after all goes back to its queue, rather than stay
            // unacknowledged on the poller's channel.
            Task {
                guard let taken = try? await done.value else { return }
                try? await self.delivery(of: taken, from: queue).nack(requeue: true)
            }
            throw cancellation
        }
        guard let inbound else { return nil }
        return try self.delivery(of: inbound, from: queue)
    }

    /// The delivery of a message a `get` took from `queue`, on the poller's channel.
    private func delivery(of inbound: InboundDelivery, from queue: String) throws -> Delivery {
        guard let tag = self.poller.request.inbox.handOut(inbound) else { throw MessageBusError.closed("this rabbitmq bus") }
        let context = self.poller.context(for: queue) {
            let settler = RabbitMQSettler(
                subscriptionID: self.poller.request.subscriptionID, inbox: self.poller.request.inbox,
                destination: queue, group: nil, deadLetterDestination: nil, ownQueue: nil, brokerCountsRequeues: false,
                bus: self)
            return SubscriptionContext(
                backend: self.backend, destination: queue, group: nil, options: SubscriptionOptions(),
                configuration: self.configuration, settler: settler, logger: self.logger)
        }
        context.recordConsumed(1)
        return Delivery(
            message: inbound.message, attempt: inbound.attempt, tag: tag,
            position: inbound.streamOffset.map { DeliveryPosition(offset: $0) }, context: context,
            backendProperties: inbound.properties)
    }
}
