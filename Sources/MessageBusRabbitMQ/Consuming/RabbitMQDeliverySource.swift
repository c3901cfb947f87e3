import MessageBus

/// Receives the deliveries of one RabbitMQ subscription from its inbox.
final class RabbitMQDeliverySource: DeliverySource {
    private let subscriptionID: UInt64
    private let inbox: RabbitMQInbox
    private let context: SubscriptionContext
    private let queue: CommandQueue
    /// Samples the lag (the messages ready in the subscription's queue) while the subscription runs.
    private let lagSampler: LagSampler?

    init(
        subscriptionID: UInt64, inbox: RabbitMQInbox, context: SubscriptionContext, queue: CommandQueue,
        lagSampler: LagSampler?
    ) {
        self.subscriptionID = subscriptionID
        self.inbox = inbox
        self.context = context
        self.queue = queue
        self.lagSampler = lagSampler
    }

    func receive(max: Int, timeout: Duration?) async throws -> [Delivery]? {
        let deadline = timeout.map { ContinuousClock.now + $0 }
        while true {
            guard let taken = try self.inbox.take(max: max) else { return nil }
            if !taken.isEmpty { return await self.deliveries(from: taken) }
            if Task.isCancelled { return [] }
            let remaining = deadline.map { $0 - ContinuousClock.now }
            if let remaining, remaining <= .zero { return [] }
            await self.inbox.waitForDeliveries(timeout: remaining)
        }
    }

    private func deliveries(from taken: [(tag: UInt64, delivery: InboundDelivery)]) async -> [Delivery] {
        if !self.inbox.tracksSettlement, let channelEpoch = taken.first?.delivery.channelEpoch {
            // At-most-once: settled as it is handed out, so a crash from here on never redelivers it. Acking on
            // hand-out (rather than consuming with no-ack) keeps basic.qos, and so memory, bounded.
            let request = SettleRequest(
                subscriptionID: self.subscriptionID, channelEpoch: channelEpoch, amqpTags: taken.map(\.delivery.amqpTag),
                outcome: .ack)
            await self.queue.submit(.settle(request))
        }
        return taken.map { tag, inbound in
            Delivery(
                message: inbound.message, attempt: inbound.attempt, tag: tag,
                position: inbound.streamOffset.map { DeliveryPosition(offset: $0) }, context: self.context,
                backendProperties: inbound.properties)
        }
    }

    var unsettledCount: Int { self.inbox.unsettledCount }

    func cancel() async {
        self.lagSampler?.stop()
        guard !self.inbox.isEnded else { return }
        let done = AsyncOneShot<Void>()
        await self.queue.submit(.cancel(subscriptionID: self.subscriptionID, completion: { done.fulfill(.success(())) }))
        try? await done.value
        self.inbox.end()
    }
}
