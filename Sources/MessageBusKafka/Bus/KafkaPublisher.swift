import MessageBus
import Synchronization

/// The publishing side of a bus: turns messages into records, makes sure their topic exists, and hands them to
/// the producer. Shared by the bus and its subscriptions' settlers (requeue and dead-letter publish through it).
final class KafkaPublisher: Sendable {
    let producer: RDKafkaProducer
    let topics: KafkaTopicRegistry
    private let publishTimeout: Duration
    private let isClosed = Atomic(false)
    /// Rotates the partition that a batch's keyless messages share.
    private let keylessRotation = Atomic<UInt64>(0)
    private let published: PublishedCounter

    init(producer: RDKafkaProducer, topics: KafkaTopicRegistry, publishTimeout: Duration, published: PublishedCounter) {
        self.producer = producer
        self.topics = topics
        self.publishTimeout = publishTimeout
        self.published = published
    }

    /// Marks the publisher closed; `false` when it already was.
    func close() -> Bool {
        self.isClosed.compareExchange(expected: false, desired: true, ordering: .acquiringAndReleasing).exchanged
    }

    func ensureOpen() throws {
        if self.isClosed.load(ordering: .acquiring) {
            throw MessageBusError(.closed, "this Kafka bus is closed; open a new one to continue")
        }
    }

    /// The records for `messages`, with the current trace context injected and keyless messages of the batch
    /// kept on one partition (so a batch without keys keeps its order, as keyed messages keep theirs). A single
    /// message has no order to keep within its batch: librdkafka's sticky partitioner places it, batching
    /// consecutive sends together instead of spreading them over every partition.
    func records(for messages: [Message], partitions: Int) -> [KafkaOutgoingRecord] {
        var keylessPartition: Int32?
        if messages.count > 1, messages.contains(where: { $0.key == nil }) {
            let turn = self.keylessRotation.add(1, ordering: .relaxed).newValue
            keylessPartition = Int32(turn % UInt64(max(1, partitions)))
        }
        return messages.withCurrentTraceContext().map { message in
            KafkaRecordCodec.encode(message, partition: message.key == nil ? keylessPartition : nil)
        }
    }

    /// Publishes messages and waits for every delivery report.
    func publish(_ messages: [Message], to destination: String) async throws {
        try self.ensureOpen()
        let topic = try await self.topics.topic(destination)
        try await self.producer.publish(
            self.records(for: messages, partitions: topic.partitions), to: topic.name,
            deadline: .now.advanced(by: self.publishTimeout))
        self.published.record(messages.count)
    }

    /// Hands messages to the producer without waiting for the broker.
    func send(_ messages: [Message], to destination: String) async throws {
        try self.ensureOpen()
        let topic = try await self.topics.topic(destination)
        try await self.producer.send(
            self.records(for: messages, partitions: topic.partitions), to: topic.name,
            deadline: .now.advanced(by: self.publishTimeout))
        self.published.record(messages.count)
    }

    /// Hands one message to the producer without waiting for the broker: ``send(_:to:)-([Message],_)`` without the
    /// batch, and without suspending once the topic is known (unless librdkafka's local queue is full).
    func send(_ message: Message, to destination: String) async throws {
        try self.ensureOpen()
        let known = self.topics.knownTopic(destination)
        let topic = if let known { known } else { try await self.topics.topic(destination) }
        try await self.producer.send(
            KafkaRecordCodec.encode(message.withCurrentTraceContext()), to: topic.name, timeout: self.publishTimeout)
        self.published.record(1)
    }

    /// Publishes prepared records (requeues, dead letters) and waits for every delivery report.
    func publishRecords(_ records: [KafkaOutgoingRecord], to destination: String) async throws {
        try self.ensureOpen()
        let topic = try await self.topics.topic(destination)
        try await self.producer.publish(records, to: topic.name, deadline: .now.advanced(by: self.publishTimeout))
    }
}
