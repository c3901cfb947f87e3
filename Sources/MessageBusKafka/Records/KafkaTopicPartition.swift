/// A topic and one of its partitions.
struct KafkaTopicPartition: Sendable, Hashable, CustomStringConvertible {
    /// The topic.
    var topic: String
    /// The partition number.
    var partition: Int32

    /// `topic[partition]`.
    var description: String { "\(self.topic)[\(self.partition)]" }
}
