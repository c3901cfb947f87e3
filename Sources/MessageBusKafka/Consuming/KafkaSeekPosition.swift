public import Foundation

/// Where ``MessageBus/Subscription/seek(to:partition:timeout:)`` moves a Kafka subscription's partitions.
public enum KafkaSeekPosition: Sendable, Hashable {
    /// The oldest retained record.
    case beginning
    /// After the last record: only records published from now on.
    case end
    /// A given offset.
    case offset(Int64)
    /// The first record at or after a time.
    case timestamp(Date)
}
