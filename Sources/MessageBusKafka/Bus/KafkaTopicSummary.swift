/// A topic as the cluster's metadata reports it; see ``KafkaMessageBus/listTopics()``.
public struct KafkaTopicSummary: Sendable, Hashable {
    /// The topic name.
    public var name: String
    /// How many partitions it has.
    public var partitionCount: Int

    /// Creates a summary.
    public init(name: String, partitionCount: Int) {
        self.name = name
        self.partitionCount = partitionCount
    }
}
