import MessageBus

/// A polled record waiting in a subscription's buffer: a record of a ``KafkaDeliveryChunk``, with the message still
/// as bytes until ``delivery()`` makes it, on the task that takes it.
struct KafkaPendingDelivery: Sendable {
    let chunk: KafkaDeliveryChunk
    let index: Int

    /// The partition the record was read from: its destination's, or the retry topic's for a redelivery.
    var partition: KafkaTopicPartition {
        let record = self.chunk.records[self.index]
        return KafkaTopicPartition(topic: self.chunk.topics[Int(record.topic)], partition: record.partition)
    }

    var offset: Int64 { self.chunk.records[self.index].offset }

    /// Whether `other` was read from the same partition, compared without making either's key (records of one chunk
    /// share its topic table).
    func isOfSamePartition(as other: KafkaPendingDelivery) -> Bool {
        guard self.chunk === other.chunk else { return self.partition == other.partition }
        let record = self.chunk.records[self.index]
        let otherRecord = self.chunk.records[other.index]
        return record.partition == otherRecord.partition && record.topic == otherRecord.topic
    }

    /// The delivery, its message made now.
    func delivery() -> Delivery {
        self.chunk.delivery(self.index)
    }
}
