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
