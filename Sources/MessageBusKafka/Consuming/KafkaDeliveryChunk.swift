import MessageBus

/// The records of one hand-off from the consumer thread: their bytes, and per record where its message is and where
/// it was read from.
///
/// A record refers to its topic and its subscription context by their place in the chunk's tables, so that it
/// holds no reference and is copied as plain bytes: the consumer thread retains one object per hand-off, not a
/// topic name, a context and a buffer per record, whose reference counts the receiving task would then release from
/// another thread.
final class KafkaDeliveryChunk: Sendable {
    /// What the consumer thread learnt of one record, apart from its bytes.
    struct Record: Sendable {
        /// Where the message's properties are in the chunk's bytes.
        var fields: KafkaRecordFields
        var attempt: Int
        var tag: UInt64
        var offset: Int64
        var partition: Int32
        /// The record's topic in ``KafkaDeliveryChunk/topics``: its destination's, or the retry topic's for a
        /// redelivery.
        var topic: Int32
        /// The delivery's context in ``KafkaDeliveryChunk/contexts``.
        var context: Int32
        /// Whether the delivery's position names its topic: a redelivery read from a retry topic reports its first
        /// topic as destination, and its position names the retry topic.
        var positionNamesTopic: Bool
    }

    let bytes: KafkaRecordBytes
    let records: [Record]
    let topics: [String]
    let contexts: [SubscriptionContext]

    init(bytes: KafkaRecordBytes, records: [Record], topics: [String], contexts: [SubscriptionContext]) {
        self.bytes = bytes
        self.records = records
        self.topics = topics
        self.contexts = contexts
    }

    /// The delivery of record `index`, its message made now.
    func delivery(_ index: Int) -> Delivery {
        let record = self.records[index]
        let topic = self.topics[Int(record.topic)]
        return Delivery(
            message: record.fields.message(
                in: self.bytes, topic: topic, partition: record.partition, offset: record.offset),
            attempt: record.attempt, tag: record.tag,
            position: DeliveryPosition(
                partition: record.partition, offset: record.offset, topic: record.positionNamesTopic ? topic : nil),
            context: self.contexts[Int(record.context)])
    }
}
