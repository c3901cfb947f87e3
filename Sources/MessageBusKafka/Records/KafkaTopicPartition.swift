import MessageBus

/// A topic and one of its partitions.
struct KafkaTopicPartition: Sendable, Hashable, CustomStringConvertible {
    /// The topic.
    var topic: String
    /// The partition number.
    var partition: Int32

    /// Hashes the partition number only: these keys are looked up for every record and acknowledgement, a
    /// subscription reads one topic, and hashing the topic name each time would dominate the lookup. Equal values
    /// still hash equally (equality compares both fields).
    func hash(into hasher: inout Hasher) {
        hasher.combine(self.partition)
    }

    /// `topic[partition]`.
    var description: String { "\(self.topic)[\(self.partition)]" }
}

extension KafkaTopicPartition {
    /// The partition `delivery` was read from: its destination's, or its retry topic's for a redelivery; `nil`
    /// for a delivery without a partition.
    init?(of delivery: Delivery) {
        guard let position = delivery.position, let partition = position.partition else { return nil }
        self.init(topic: position.topic ?? delivery.destination, partition: partition)
    }
}
