import MessageBus

/// Turns the records of one poll into pending deliveries, on the consumer thread, as they are decoded: their bytes
/// go into one ``KafkaRecordBytes`` per hand-off and their properties into one ``KafkaDeliveryChunk`` (no allocation
/// or reference count per record), and the context of a topic is looked up once per run of records from that topic.
struct KafkaDeliveryBuilder {
    private let subscription: KafkaSubscription
    /// The topic of the last record added outside a redelivery, its place in ``topics`` and its context's in
    /// ``contexts``; `nil` contexts when the subscription has none for it (it is closing).
    private var current: (topic: String, topicIndex: Int32, contextIndex: Int32?)?
    /// The tag of the last delivery made; the subscription records it when it receives the batch.
    private(set) var lastTag: UInt64
    /// Where the records of the current hand-off are decoded into.
    var bytes = KafkaRecordBytes.Builder()
    /// The deliveries of the current hand-off, without their bytes yet.
    private var records: [KafkaDeliveryChunk.Record] = []
    private var topics: [String] = []
    private var contexts: [SubscriptionContext] = []

    init(subscription: KafkaSubscription, lastTag: UInt64) {
        self.subscription = subscription
        self.lastTag = lastTag
    }

    /// Makes room for the next hand-off: `records` deliveries whose bytes take about `bytes`.
    mutating func reserve(records: Int, bytes: Int) {
        self.records.reserveCapacity(self.records.count + records)
        self.bytes.reserve(bytes)
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
        let topicIndex: Int32
        let contextIndex: Int32
        let redelivery = source != nil && source != partition.topic
        if let source, redelivery {
            guard let sourceContext = self.subscription.context(forTopic: source) else { return false }
            topicIndex = self.index(ofTopic: partition.topic)
            contextIndex = self.index(of: sourceContext)
        } else {
            // The consumer thread hands every record of a topic the same string, so this compares storage, not bytes.
            if partition.topic != self.current?.topic {
                let context = self.subscription.context(forTopic: partition.topic)
                self.current = (partition.topic, self.index(ofTopic: partition.topic), context.map { self.index(of: $0) })
            }
            guard let current = self.current, let index = current.contextIndex else { return false }
            topicIndex = current.topicIndex
            contextIndex = index
        }
        self.lastTag &+= 1
        self.records.append(KafkaDeliveryChunk.Record(
            fields: fields, attempt: attempt, tag: self.lastTag, offset: offset, partition: partition.partition,
            topic: topicIndex, context: contextIndex, positionNamesTopic: redelivery))
        return true
    }

    /// The deliveries added since the last call, in order, sharing one chunk.
    mutating func take() -> [KafkaPendingDelivery] {
        let chunk = KafkaDeliveryChunk(
            bytes: self.bytes.finish(), records: self.records, topics: self.topics, contexts: self.contexts)
        self.records = []
        self.topics = []
        self.contexts = []
        self.current = nil
        return (0..<chunk.records.count).map { KafkaPendingDelivery(chunk: chunk, index: $0) }
    }

    private mutating func index(ofTopic topic: String) -> Int32 {
        if let index = self.topics.firstIndex(of: topic) { return Int32(index) }
        self.topics.append(topic)
        return Int32(self.topics.count - 1)
    }

    private mutating func index(of context: SubscriptionContext) -> Int32 {
        if let index = self.contexts.firstIndex(where: { $0 === context }) { return Int32(index) }
        self.contexts.append(context)
        return Int32(self.contexts.count - 1)
    }
}
