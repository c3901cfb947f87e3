import MessageBus
import Synchronization

/// One Kafka transaction: publishes go through the transactional producer; acknowledged deliveries are remembered
/// and their offsets sent to the transaction when it commits (consume-transform-produce).
final class KafkaTransaction: MessageBusTransaction {
    private struct State {
        var acknowledged: [Delivery] = []
        /// The subscriptions of the acknowledged deliveries, held until the transaction ends: one the application
        /// let go of meanwhile must still send its offsets with the commit (or the commit would go without them).
        var subscriptions: [ObjectIdentifier: KafkaSubscription] = [:]
        var isFinished = false
    }

    private let producer: RDKafkaProducer
    private let publisher: KafkaPublisher
    private let state = Mutex(State())

    init(producer: RDKafkaProducer, publisher: KafkaPublisher) {
        self.producer = producer
        self.publisher = publisher
    }

    func publish(contentsOf messages: [Message], to destination: String) async throws {
        try self.ensureUnfinished()
        let topic = try await self.publisher.topics.topic(destination)
        try await self.producer.publish(
            self.publisher.records(for: messages, partitions: topic.partitions), to: topic.name,
            deadline: .now.advanced(by: .seconds(60)))
    }

    func acknowledge(_ deliveries: [Delivery]) async throws {
        try self.ensureUnfinished()
        for delivery in deliveries {
            guard let settler = delivery.context.settler as? KafkaDeliverySettler else {
                throw MessageBusError(
                    .invalidConfiguration,
                    "a Kafka transaction can only acknowledge deliveries of Kafka subscriptions, not of the \(delivery.context)")
            }
            guard let subscription = settler.liveSubscription else {
                throw MessageBusError(
                    .alreadySettled,
                    "delivery \(delivery.tag) of '\(delivery.destination)' can no longer be acknowledged: its subscription "
                        + "was released, and the group reads the record again")
            }
            guard delivery.claimSettlement() else {
                throw MessageBusError(.alreadySettled, "delivery \(delivery.tag) of '\(delivery.destination)' is already settled")
            }
            self.state.withLock { state in
                state.acknowledged.append(delivery)
                state.subscriptions[ObjectIdentifier(subscription)] = subscription
            }
        }
    }

    /// Ends the body: the offsets to send with the commit, per consumer: per partition the offset below which
    /// everything is acknowledged once this transaction's deliveries are, so an earlier delivery still being
    /// processed outside the transaction is never committed past.
    ///
    /// - Throws: ``MessageBus/MessageBusError/Code/closed`` when a subscription whose deliveries it acknowledged
    ///   was cancelled meanwhile: the commit must not go without those offsets, so the transaction aborts.
    func finish() throws -> [(RDKafkaConsumer, [(KafkaTopicPartition, Int64)])] {
        self.state.withLock { $0.isFinished = true }
        return try self.bySettler().compactMap { settler, deliveries in
            guard let consumer = settler.subscriptionConsumer else {
                throw MessageBusError(
                    .closed,
                    "the subscription of \(deliveries.count) acknowledged deliveries of '\(deliveries[0].destination)' "
                        + "ended before the transaction committed; its offsets cannot be committed with it")
            }
            let offsets = settler.committableOffsets(ifAcknowledging: deliveries)
            return offsets.isEmpty ? nil : (consumer, offsets)
        }
    }

    /// The transaction committed: its deliveries are done.
    func committed() {
        for (settler, deliveries) in self.bySettler() { settler.markDone(deliveries) }
    }

    /// The transaction aborted: its acknowledged deliveries go back to their groups (requeued with their attempt
    /// raised, as a nack would).
    func aborted() async {
        self.state.withLock { $0.isFinished = true }
        for (settler, deliveries) in self.bySettler() {
            guard settler.subscriptionConsumer != nil else {
                // The subscription is gone: its group reads these records again; copies would be duplicates.
                for delivery in deliveries { delivery.releaseSettlement() }
                continue
            }
            do {
                try await settler.settle(deliveries, as: .requeue)
            } catch {
                // Not requeued: the application may settle them again (or the group reads them again).
                for delivery in deliveries { delivery.releaseSettlement() }
            }
        }
    }

    /// The commit's outcome is unknown: its deliveries are neither done nor given back; they may be settled again.
    func outcomeUnknown() {
        self.state.withLock { $0.isFinished = true }
        for delivery in self.state.withLock({ $0.acknowledged }) { delivery.releaseSettlement() }
    }

    private func bySettler() -> [(KafkaDeliverySettler, [Delivery])] {
        var groups: [ObjectIdentifier: (KafkaDeliverySettler, [Delivery])] = [:]
        for delivery in self.state.withLock({ $0.acknowledged }) {
            guard let settler = delivery.context.settler as? KafkaDeliverySettler else { continue }
            groups[ObjectIdentifier(settler), default: (settler, [])].1.append(delivery)
        }
        return Array(groups.values)
    }

    private func ensureUnfinished() throws {
        if self.state.withLock({ $0.isFinished }) {
            throw MessageBusError(.closed, "the transaction has already committed or aborted")
        }
    }
}
