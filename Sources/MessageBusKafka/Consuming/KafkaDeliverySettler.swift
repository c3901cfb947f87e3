import Foundation
import MessageBus

/// Settles the deliveries of one Kafka subscription.
///
/// Kafka has no per-record acknowledgement, so every outcome ends as "done" for the offset bookkeeping, after the
/// outcome's own step: a requeue or retry publishes a retry record for the subscription's group alone, with its
/// attempt raised and the time it is due (``KafkaRetryRoute``), so the partition's other records are not held up;
/// a dead-letter publishes the record to the dead-letter topic with the reason. Only when that publish is
/// confirmed is the original marked done.
///
/// Once the subscription has ended, settling one of its deliveries throws ``MessageBusError/Code/alreadySettled``
/// without publishing anything, as on every backend; its offset is not committed, so the group reads the record
/// again. A delivery whose partition moved to another member in a rebalance (or was seeked) while the subscription
/// goes on settles without effect and without publishing anything: the record is read again there, and a routine
/// rebalance does not end a consume loop.
///
/// The subscription is held weakly: it holds this settler (through its context), and a subscription its user
/// dropped must be able to go away and end its consumer.
final class KafkaDeliverySettler: DeliverySettler {
    private weak let subscription: KafkaSubscription?
    private let publisher: KafkaPublisher
    private let retryRoute: KafkaRetryRoute

    /// The consumer of the subscription, for sending its offsets with a transaction.
    var subscriptionConsumer: RDKafkaConsumer? { self.subscription?.consumer }

    /// The subscription, while it is alive: a transaction holds it until it ends, so that the offsets of what it
    /// acknowledged can still be sent with its commit.
    var liveSubscription: KafkaSubscription? { self.subscription }

    /// Whether the subscription reads several topics (a list or a pattern).
    var isMultiTopic: Bool { self.subscription?.isMultiTopic ?? false }

    /// The offsets acknowledging `deliveries` would commit; see ``KafkaSubscription/committableOffsets(ifAcknowledging:)``.
    func committableOffsets(ifAcknowledging deliveries: [Delivery]) -> [(KafkaTopicPartition, Int64)] {
        self.subscription?.committableOffsets(ifAcknowledging: deliveries) ?? []
    }

    /// Marks deliveries done without another step (a committed transaction acknowledged them, and sent their
    /// offsets with its commit).
    func markDone(_ deliveries: [Delivery]) {
        _ = self.subscription?.markDone(deliveries)
    }

    init(subscription: KafkaSubscription, publisher: KafkaPublisher, retryRoute: KafkaRetryRoute) {
        self.subscription = subscription
        self.publisher = publisher
        self.retryRoute = retryRoute
    }

    func settle(_ delivery: Delivery, as outcome: DeliveryOutcome) async throws {
        if try self.settleWithoutSuspending(delivery, as: outcome) { return }
        try await self.settle([delivery], as: outcome)
    }

    /// An ack or a discard is offset bookkeeping only; the other outcomes publish a record first.
    func settleWithoutSuspending(_ delivery: Delivery, as outcome: DeliveryOutcome) throws -> Bool {
        switch outcome {
        case .ack, .discard:
            try self.publisher.ensureOpen()
            guard let subscription = self.subscription, subscription.markDone(delivery) else {
                throw Self.cannotSettle([delivery.tag], of: delivery.destination)
            }
            return true
        case .requeue, .retry, .deadLetter:
            return false
        }
    }

    func settle(_ deliveries: [Delivery], as outcome: DeliveryOutcome) async throws {
        guard let destination = deliveries.first?.destination else { return }
        try self.publisher.ensureOpen()
        guard let subscription = self.subscription else {
            throw Self.cannotSettle(deliveries.map(\.tag), of: destination)
        }
        // Nothing is published for a delivery that is no longer outstanding: its record comes to the group again.
        var refused: [UInt64] = []
        var deliveries = deliveries
        if outcome != .ack, outcome != .discard {
            let (stale, refusedNow) = subscription.notOutstanding(deliveries)
            refused = refusedNow
            deliveries.removeAll(tagged: stale)
        }
        try await self.publishRedeliveries(of: deliveries, as: outcome)
        refused += subscription.markDone(deliveries)
        if !refused.isEmpty {
            throw Self.cannotSettle(refused, of: destination)
        }
    }

    /// The outcome's own step before the deliveries are marked done: a retry record for a requeue or a retry, a
    /// dead-letter record for a dead letter; nothing for an ack or a discard.
    private func publishRedeliveries(of deliveries: [Delivery], as outcome: DeliveryOutcome) async throws {
        guard !deliveries.isEmpty else { return }
        switch outcome {
        case .ack, .discard:
            break
        case .requeue, .retry:
            let delay = outcome.redeliveryDelay ?? .zero
            let now = Date()
            let due = delay > .zero ? Int64((now.timeIntervalSince1970 * 1000).rounded(.up)) + Self.milliseconds(delay) : nil
            for (destination, group) in Self.byDestination(deliveries) {
                let routing = KafkaRetryRouting(group: self.retryRoute.groupID, source: destination, dueMilliseconds: due)
                let records = group.map { delivery in
                    KafkaRecordCodec.encode(
                        delivery.message, attempt: delivery.attempt + 1, extraHeaders: routing.headers,
                        republishedAt: now)
                }
                try await self.publisher.publishRecords(records, to: self.retryRoute.topic ?? destination)
            }
        case .deadLetter(let reason):
            guard let context = deliveries.first?.context else { return }
            let now = Date()
            let records = deliveries.map { delivery in
                KafkaRecordCodec.encode(
                    delivery.message,
                    extraHeaders: [
                        (WellKnownHeader.deadLetterReason, reason),
                        (WellKnownHeader.deadLetterSource, delivery.destination),
                        (WellKnownHeader.deadLetterGroup, context.group ?? ""),
                        (WellKnownHeader.deadLetterAttempt, String(delivery.attempt)),
                    ],
                    republishedAt: now)
            }
            try await self.publisher.publishRecords(records, to: context.deadLetterDestination)
        }
    }

    /// What settling deliveries that can no longer be settled throws.
    private static func cannotSettle(_ tags: [UInt64], of destination: String) -> MessageBusError {
        MessageBusError(
            .alreadySettled,
            "deliveries \(tags) of '\(destination)' can no longer be settled: their subscription ended, and the group "
                + "reads them again")
    }

    private static func milliseconds(_ duration: Duration) -> Int64 {
        let (seconds, attoseconds) = duration.components
        return seconds * 1000 + (attoseconds + 999_999_999_999_999) / 1_000_000_000_000_000
    }

    private static func byDestination(_ deliveries: [Delivery]) -> [(String, [Delivery])] {
        var order: [String] = []
        var groups: [String: [Delivery]] = [:]
        for delivery in deliveries {
            if groups[delivery.destination] == nil { order.append(delivery.destination) }
            groups[delivery.destination, default: []].append(delivery)
        }
        return order.map { ($0, groups[$0] ?? []) }
    }
}
