import MessageBus

/// Turns the records of one poll into pending deliveries, on the consumer thread, as they are decoded: their bytes
/// go into one ``KafkaRecordBytes`` per hand-off (no allocation per record), and the context of a topic is looked
/// up once per run of records from that topic.
struct KafkaDeliveryBuilder {
    private let subscription: KafkaSubscription
    private var topic: String?
    private var context: SubscriptionContext?
    /// The tag of the last delivery made; the subscription records it when it receives the batch.
    private(set) var lastTag: UInt64
    /// Where the records of the current hand-off are decoded into.
    var bytes = KafkaRecordBytes.Builder(capacity: 32 * 1024)
    /// The deliveries of the current hand-off, without their bytes yet.
    private var records: [KafkaPendingDelivery.Record] = []

    init(subscription: KafkaSubscription, lastTag: UInt64) {
        self.subscription = subscription
        self.lastTag = lastTag
        self.records.reserveCapacity(RDKafkaConsumer.handOffChunk)
    }

    /// How many deliveries the current hand-off holds.
    var count: Int { self.records.count }

    /// Adds the delivery of the record decoded into ``bytes`` as `fields`, read from `partition` at `offset`;
    /// returns `false` when the subscription has no context for the topic (it is closing).
    ///
    /// - Parameter source: For a retry record, the topic the message was first consumed from: the delivery
    ///   reports it as its destination, and its position names the retry topic it was read from.
    mutating func add(
        _ fields: KafkaRecordFields, attempt: Int, partition: KafkaTopicPartition, offset: Int64, source: String? = nil
    ) -> Bool {
        let context: SubscriptionContext
        let redelivery = source != nil && source != partition.topic
        if let source, redelivery {
            guard let sourceContext = self.subscription.context(forTopic: source) else { return false }
            context = sourceContext
        } else {
            // The consumer thread hands every record of a topic the same string, so this compares storage, not bytes.
            if partition.topic != self.topic {
                self.topic = partition.topic
                self.context = self.subscription.context(forTopic: partition.topic)
            }
            guard let topicContext = self.context else { return false }
            context = topicContext
        }
        self.lastTag &+= 1
        self.records.append(KafkaPendingDelivery.Record(
            fields: fields, attempt: attempt, tag: self.lastTag, partition: partition, offset: offset,
            positionNamesTopic: redelivery, context: context))
        return true
    }

    /// The deliveries added since the last call, in order, sharing one copy of their bytes.
    mutating func take() -> [KafkaPendingDelivery] {
        let bytes = self.bytes.finish()
        defer { self.records.removeAll(keepingCapacity: true) }
        return self.records.map { KafkaPendingDelivery(bytes: bytes, record: $0) }
    }
}
