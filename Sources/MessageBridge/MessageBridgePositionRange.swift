/// The first and last source positions a bridge copied from one destination (and partition).
///
/// On backends with positions (Kafka offsets, in-memory log offsets, RabbitMQ stream offsets) the range is in
/// ``Unit-swift.enum/offset``s of one partition; elsewhere (RabbitMQ queues) it is in the delivery tags of the
/// bridge's subscription, which count deliveries since it subscribed.
public struct MessageBridgePositionRange: Sendable, Hashable {
    /// What ``first`` and ``last`` count.
    public enum Unit: String, Sendable, Hashable {
        /// Offsets in the destination's log or partition.
        case offset
        /// Delivery tags of the bridge's subscription.
        case deliveryTag
    }

    /// The source destination.
    public var destination: String
    /// The Kafka partition; `nil` on backends without partitions.
    public var partition: Int32?
    /// What ``first`` and ``last`` count.
    public var unit: Unit
    /// The lowest position copied.
    public var first: Int64
    /// The highest position copied.
    public var last: Int64

    /// Creates a range.
    public init(destination: String, partition: Int32?, unit: Unit, first: Int64, last: Int64) {
        self.destination = destination
        self.partition = partition
        self.unit = unit
        self.first = first
        self.last = last
    }
}

extension MessageBridgePositionRange: CustomStringConvertible {
    /// `orders[2] offsets 0...41`, or `invoices tags 1...500`.
    public var description: String {
        let place = self.partition.map { "\(self.destination)[\($0)]" } ?? self.destination
        return "\(place) \(self.unit == .offset ? "offsets" : "tags") \(self.first)...\(self.last)"
    }
}
