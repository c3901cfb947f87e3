/// The offsets a partition holds: from its low watermark (the oldest retained record) to its high watermark.
public struct KafkaPartitionOffsets: Sendable, Hashable {
    /// The partition.
    public var partition: Int32
    /// The oldest offset still retained.
    public var lowWatermark: Int64
    /// One past the last readable record (see ``KafkaPartitionLag/highWatermark`` about brokers that under-report it).
    public var highWatermark: Int64

    /// The records the partition retains: the high watermark minus the low one, never negative.
    public var recordCount: Int64 { max(0, self.highWatermark - self.lowWatermark) }

    /// Creates an entry.
    public init(partition: Int32, lowWatermark: Int64, highWatermark: Int64) {
        self.partition = partition
        self.lowWatermark = lowWatermark
        self.highWatermark = highWatermark
    }
}

