import MessageBus

/// Turns the records of one poll into deliveries, on the consumer thread, as they are decoded: each message
/// moves straight into its ``MessageBus/Delivery`` without an intermediate copy, and the context of a topic is
/// looked up once per run of records from that topic.
struct KafkaDeliveryBuilder {
    private let subscription: KafkaSubscription
    private var topic: String?
    private var context: SubscriptionContext?
    /// The tag of the last delivery made; the subscription records it when it receives the batch.
    private(set) var lastTag: UInt64

    init(subscription: KafkaSubscription, lastTag: UInt64) {
        self.subscription = subscription
        self.lastTag = lastTag
    }

    /// The delivery of `message`, read from `partition` at `offset`; `nil` when the subscription has no context
    /// for the topic (it is closing).
    ///
    /// - Parameter source: For a retry record, the topic the message was first consumed from: the delivery
    ///   reports it as its destination, and its position names the retry topic it was read from.
    mutating func delivery(
        of message: Message, attempt: Int, partition: KafkaTopicPartition, offset: Int64, source: String? = nil
    ) -> Delivery? {
        guard let source, source != partition.topic else {
            // The consumer thread hands every record of a topic the same string, so this compares storage, not bytes.
            if partition.topic != self.topic {
                self.topic = partition.topic
                self.context = self.subscription.context(forTopic: partition.topic)
            }
            guard let context = self.context else { return nil }
            self.lastTag &+= 1
            return Delivery(
                message: message, attempt: attempt, tag: self.lastTag,
                position: DeliveryPosition(partition: partition.partition, offset: offset), context: context)
        }
        guard let context = self.subscription.context(forTopic: source) else { return nil }
        self.lastTag &+= 1
        return Delivery(
            message: message, attempt: attempt, tag: self.lastTag,
            position: DeliveryPosition(partition: partition.partition, offset: offset, topic: partition.topic),
            context: context)
    }
}
