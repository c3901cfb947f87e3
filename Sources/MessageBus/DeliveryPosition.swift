/// Where a delivery sits in its destination, on backends that have positions.
public struct DeliveryPosition: Sendable, Hashable {
    /// The Kafka partition; `nil` on backends without partitions.
    public var partition: Int32?
    /// The offset in the partition, stream or in-memory log.
    public var offset: Int64

    /// Creates a position.
    public init(partition: Int32? = nil, offset: Int64) {
        self.partition = partition
        self.offset = offset
    }
}
