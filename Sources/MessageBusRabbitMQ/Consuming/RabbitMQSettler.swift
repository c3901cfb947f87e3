import MessageBus

/// Settles the deliveries of one RabbitMQ subscription: `basic.ack` / `basic.nack` on its channel. Dead-lettering
/// publishes a confirmed copy to the dead-letter exchange before the original is acknowledged; for a subscription
/// to a queue (no dead-letter destination) it is `basic.nack` without requeue, which the queue's own
/// `x-dead-letter-exchange` routes.
final class RabbitMQSettler: DeliverySettler {
    private let subscriptionID: UInt64
    private let inbox: RabbitMQInbox
    private let destination: String
    private let group: String?
    /// `nil`: the broker dead-letters by the queue's arguments.
    private let deadLetterDestination: String?
    private let bus: RabbitMQMessageBus

    init(
        subscriptionID: UInt64, inbox: RabbitMQInbox, destination: String, group: String?,
        deadLetterDestination: String?, bus: RabbitMQMessageBus
    ) {
        self.subscriptionID = subscriptionID
        self.inbox = inbox
        self.destination = destination
        self.group = group
        self.deadLetterDestination = deadLetterDestination
        self.bus = bus
    }

    func settle(_ deliveries: [Delivery], as outcome: DeliveryOutcome) async throws {
        try self.bus.ensureOpen()
        let amqpOutcome: SettleRequest.Outcome
        switch outcome {
        case .ack: amqpOutcome = .ack
        case .requeue: amqpOutcome = .requeue
        case .discard: amqpOutcome = .discard
        case .deadLetter(let reason):
            if let deadLetterDestination = self.deadLetterDestination {
                // The copy must be safe at the dead-letter destination before the original goes away.
                let copies = deliveries.map { self.deadLetterCopy(of: $0, reason: reason) }
                try await self.bus.publish(contentsOf: copies, to: deadLetterDestination)
                amqpOutcome = .ack
            } else {
                amqpOutcome = .discard
            }
        }
        let claim = self.inbox.claim(deliveries.map(\.tag))
        // The inbox forgets a delivery the moment its connection or subscription ends, so a claimed one belongs to
        // the live channel: the owner thread writes its ack in order with every later command, and the caller
        // need not wait for that write (which proves no more than the queued command: an ack on a connection that
        // then drops is lost either way, and the broker redelivers). Not waiting keeps the consumer from stalling
        // on a round trip to the owner thread for every settled batch; not waking a sleeping owner for every
        // settlement (only when the inbox says they must go now) lets it send many as one `multiple` ack.
        var remaining = claim.found[...]
        while let channelEpoch = remaining.first?.channelEpoch {
            // Almost always one channel opening: a batch only spans two across a connection recovery.
            let sameChannel = remaining.prefix { $0.channelEpoch == channelEpoch }
            remaining = remaining.dropFirst(sameChannel.count)
            await self.bus.queue.submit(
                .settle(SettleRequest(
                    subscriptionID: self.subscriptionID, channelEpoch: channelEpoch,
                    amqpTags: sameChannel.map(\.amqpTag), outcome: amqpOutcome)),
                wakesOwner: claim.mustFlush || !remaining.isEmpty)
        }
        let unknown = claim.unknown
        if !unknown.isEmpty {
            throw MessageBusError(
                .alreadySettled,
                "deliveries \(unknown) of '\(self.destination)' can no longer be settled: their connection was lost "
                    + "or their subscription ended, and the broker gives them to the group again")
        }
    }

    private func deadLetterCopy(of delivery: Delivery, reason: String) -> Message {
        var copy = delivery.message
        copy.headers[WellKnownHeader.deadLetterReason] = reason
        copy.headers[WellKnownHeader.deadLetterSource] = self.destination
        copy.headers[WellKnownHeader.deadLetterGroup] = self.group ?? ""
        copy.headers[WellKnownHeader.deadLetterAttempt] = String(delivery.attempt)
        return copy
    }
}
