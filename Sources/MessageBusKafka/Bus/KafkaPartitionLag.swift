/// How far a consumer group is behind on one partition.
public struct KafkaPartitionLag: Sendable, Hashable {
    /// The partition.
    public var partition: Int32
    /// The next offset the group will read (its committed offset), or `nil` when it has committed nothing.
    public var committedOffset: Int64?
    /// The partition's high watermark: one past its last readable record.
    ///
    /// Some brokers under-report it (Tansu 0.6 answers the base offset of the last batch plus one), so lag against
    /// them is a lower bound.
    public var highWatermark: Int64

    /// Records the group has not yet committed past: the high watermark minus the committed offset (all of them
    /// when nothing was committed), never negative.
    public var lag: Int64 { max(0, self.highWatermark - (self.committedOffset ?? 0)) }

    /// Creates a lag entry.
    public init(partition: Int32, committedOffset: Int64?, highWatermark: Int64) {
        self.partition = partition
        self.committedOffset = committedOffset
        self.highWatermark = highWatermark
    }
}
