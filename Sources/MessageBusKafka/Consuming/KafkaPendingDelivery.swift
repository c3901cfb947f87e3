import MessageBus

/// A polled record waiting in a subscription's buffer: everything its ``MessageBus/Delivery`` is made of, with the
/// message still as bytes (``KafkaRecordBytes``) until ``delivery()`` makes it, on the task that takes it.
struct KafkaPendingDelivery: Sendable {
    /// The bytes of the hand-off the record came in, which `fields` point into.
    let bytes: KafkaRecordBytes
    let fields: KafkaRecordFields
    let attempt: Int
    let tag: UInt64
    /// The partition the record was read from: its destination's, or the retry topic's for a redelivery.
    let partition: KafkaTopicPartition
    let offset: Int64
    /// Whether the delivery's position names its topic: a redelivery read from a retry topic reports its first
    /// topic as destination, and its position names the retry topic.
    let positionNamesTopic: Bool
    let context: SubscriptionContext

    /// The delivery, its message made now.
    func delivery() -> Delivery {
        Delivery(
            message: self.fields.message(
                in: self.bytes, topic: self.partition.topic, partition: self.partition.partition, offset: self.offset),
            attempt: self.attempt, tag: self.tag,
            position: DeliveryPosition(
                partition: self.partition.partition, offset: self.offset,
                topic: self.positionNamesTopic ? self.partition.topic : nil),
            context: self.context)
    }
}
