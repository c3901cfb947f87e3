import MessageBus

/// Settles the deliveries of one RabbitMQ subscription: `basic.ack` / `basic.nack` on its channel.
///
/// Dead-lettering publishes a confirmed, mandatory copy to the dead-letter exchange before the original is
/// acknowledged (a copy that reaches no queue fails the settlement and leaves the original unsettled: a dead letter
/// is never dropped); for a subscription to a queue without a dead-letter destination it is `basic.nack` without
/// requeue, which the queue's own `x-dead-letter-exchange` routes. Requeues and retries follow
/// ``RabbitMQRedelivery``.
final class RabbitMQSettler: DeliverySettler {
    private let subscriptionID: UInt64
    private let inbox: RabbitMQInbox
    private let destination: String
    private let group: String?
    /// `nil`: the broker dead-letters by the queue's arguments.
    private let deadLetterDestination: String?
    /// The subscription's own queue (group or broadcast), which redeliveries are published to; `nil` for a
    /// subscription to an application's queue, which requeues as the broker does.
    private let ownQueue: String?
    /// Whether `basic.nack` with requeue counts the redelivery (a quorum group queue's `x-delivery-count`).
    private let brokerCountsRequeues: Bool
    private let bus: RabbitMQMessageBus

    init(
        subscriptionID: UInt64, inbox: RabbitMQInbox, destination: String, group: String?,
        deadLetterDestination: String?, ownQueue: String?, brokerCountsRequeues: Bool, bus: RabbitMQMessageBus
    ) {
        self.subscriptionID = subscriptionID
        self.inbox = inbox
        self.destination = destination
        self.group = group
        self.deadLetterDestination = deadLetterDestination
        self.ownQueue = ownQueue
        self.brokerCountsRequeues = brokerCountsRequeues
        self.bus = bus
    }

    /// An ack or a discard is a command for the owner thread, queued without waiting; the other outcomes may
    /// publish first.
    func settleWithoutSuspending(_ delivery: Delivery, as outcome: DeliveryOutcome) throws -> Bool {
        let amqpOutcome: SettleRequest.Outcome
        switch outcome {
        case .ack: amqpOutcome = .ack
        case .discard: amqpOutcome = .discard
        case .requeue, .retry, .deadLetter: return false
        }
        try self.bus.ensureOpen()
        try self.settleNow([delivery.tag], as: amqpOutcome)
        return true
    }

    func settle(_ deliveries: [Delivery], as outcome: DeliveryOutcome) async throws {
        try self.bus.ensureOpen()
        // Nothing is published for a delivery that can no longer be settled: the broker gives it to the group
        // again, and a copy would make two.
        let stale = outcome == .ack || outcome == .discard ? [] : self.inbox.unknownTags(deliveries.map(\.tag))
        var deliveries = deliveries
        deliveries.removeAll(tagged: stale)
        guard !deliveries.isEmpty else {
            try self.throwIfUnknown(stale)
            return
        }
        let amqpOutcome: SettleRequest.Outcome
        switch outcome {
        case .ack: amqpOutcome = .ack
        case .discard: amqpOutcome = .discard
        case .requeue, .retry:
            let delay = outcome.redeliveryDelay ?? .zero
            guard let queue = self.ownQueue else {
                // An application's queue requeues as the broker does; a delay is waited out here, with the
                // deliveries unsettled meanwhile (the queue is the application's: no retry queue is added to it).
                let claim = self.inbox.claim(deliveries.map(\.tag))
                if delay > .zero {
                    Task {
                        try? await Task.sleep(for: delay)
                        self.submit(claim, as: .requeue)
                    }
                } else {
                    self.submit(claim, as: .requeue)
                }
                try self.throwIfUnknown(stale + claim.unknown)
                return
            }
            if delay == .zero && self.brokerCountsRequeues {
                amqpOutcome = .requeue
            } else {
                let target = delay > .zero ? RabbitMQRedelivery.retryQueue(of: queue, delay: delay) : queue
                if delay > .zero { try await self.bus.ensureRetryQueue(target, returningTo: queue, isGroupQueue: self.group != nil) }
                try await self.bus.publish(
                    contentsOf: deliveries.map { RabbitMQRedelivery.copy(of: $0, to: target) }, to: "",
                    options: RabbitMQPublishOptions(
                        mandatory: true, properties: RabbitMQMessageProperties(expiration: delay > .zero ? delay : nil)),
                    checkingDestination: false)
                amqpOutcome = .ack
            }
        case .deadLetter(let reason):
            if let deadLetterDestination = self.deadLetterDestination {
                // The copy must be safe at the dead-letter destination before the original goes away.
                let copies = deliveries.map { self.deadLetterCopy(of: $0, reason: reason) }
                try await self.bus.publish(
                    contentsOf: copies, to: deadLetterDestination, options: RabbitMQPublishOptions(mandatory: true),
                    checkingDestination: false)
                amqpOutcome = .ack
            } else {
                amqpOutcome = .discard
            }
        }
        try self.settleNow(deliveries.map(\.tag), as: amqpOutcome, alsoUnknown: stale)
    }

    /// Claims the deliveries with `tags` and hands their settlement to the owner thread; throws for those that can
    /// no longer be settled, and for `alsoUnknown`, found so before.
    private func settleNow(_ tags: [UInt64], as outcome: SettleRequest.Outcome, alsoUnknown: [UInt64] = []) throws {
        let claim = self.inbox.claim(tags)
        self.submit(claim, as: outcome)
        try self.throwIfUnknown(alsoUnknown + claim.unknown)
    }

    /// Hands the claimed deliveries' settlement to the owner thread.
    ///
    /// The inbox forgets a delivery the moment its connection or subscription ends, so a claimed one belongs to
    /// the live channel: the owner thread writes its ack in order with every later command, and the caller need
    /// not wait for that write (which proves no more than the queued command: an ack on a connection that then
    /// drops is lost either way, and the broker redelivers). Not waiting keeps the consumer from stalling on a
    /// round trip to the owner thread for every settled batch; not waking a sleeping owner for every settlement
    /// (only when the inbox says they must go now) lets it send many as one `multiple` ack.
    private func submit(_ claim: RabbitMQInbox.Claim, as outcome: SettleRequest.Outcome) {
        var remaining = claim.found[...]
        while let channelEpoch = remaining.first?.channelEpoch {
            // Almost always one channel opening: a batch only spans two across a connection recovery.
            let sameChannel = remaining.prefix { $0.channelEpoch == channelEpoch }
            remaining = remaining.dropFirst(sameChannel.count)
            self.bus.queue.submitControl(
                .settle(SettleRequest(
                    subscriptionID: self.subscriptionID, channelEpoch: channelEpoch,
                    amqpTags: sameChannel.map(\.amqpTag), outcome: outcome)),
                wakesOwner: claim.mustFlush || !remaining.isEmpty)
        }
    }

    private func throwIfUnknown(_ unknown: [UInt64]) throws {
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
