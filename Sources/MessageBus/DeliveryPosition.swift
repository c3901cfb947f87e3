/// Where a delivery sits in its destination, on backends that have positions.
public struct DeliveryPosition: Sendable, Hashable {
    /// The Kafka partition; `nil` on backends without partitions.
    public var partition: Int32?
    /// The offset in the partition, stream or in-memory log.
    public var offset: Int64
    /// The Kafka topic the record was read from when it is not the destination itself: the group's retry topic,
    /// for a redelivery after ``DeliveryOutcome/requeue`` or ``DeliveryOutcome/retry(after:)``. `nil` otherwise.
    public var topic: String?

    /// Creates a position.
    public init(partition: Int32? = nil, offset: Int64, topic: String? = nil) {
        self.partition = partition
        self.offset = offset
        self.topic = topic
    }
}
