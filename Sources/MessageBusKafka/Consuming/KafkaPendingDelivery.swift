import MessageBus

/// A polled record waiting in a subscription's buffer: everything its ``MessageBus/Delivery`` is made of, with the
/// message still as bytes (``KafkaRecordBytes``) until ``delivery()`` makes it, on the task that takes it.
struct KafkaPendingDelivery: Sendable {
    /// What the consumer thread learnt of one record, apart from its bytes.
    struct Record: Sendable {
        /// Where the message's properties are in the hand-off's bytes.
        var fields: KafkaRecordFields
        var attempt: Int
        var tag: UInt64
        /// The partition the record was read from: its destination's, or the retry topic's for a redelivery.
        var partition: KafkaTopicPartition
        var offset: Int64
        /// Whether the delivery's position names its topic: a redelivery read from a retry topic reports its first
        /// topic as destination, and its position names the retry topic.
        var positionNamesTopic: Bool
        var context: SubscriptionContext
    }

    /// The bytes of the hand-off the record came in.
    let bytes: KafkaRecordBytes
    let record: Record

    var partition: KafkaTopicPartition { self.record.partition }
    var offset: Int64 { self.record.offset }

    /// The delivery, its message made now.
    func delivery() -> Delivery {
        let record = self.record
        return Delivery(
            message: record.fields.message(
                in: self.bytes, topic: record.partition.topic, partition: record.partition.partition,
                offset: record.offset),
            attempt: record.attempt, tag: record.tag,
            position: DeliveryPosition(
                partition: record.partition.partition, offset: record.offset,
                topic: record.positionNamesTopic ? record.partition.topic : nil),
            context: record.context)
    }
}
