/// Where a consumer starts reading a partition its group has committed nothing for.
enum KafkaStartOffset: Sendable, Hashable {
    /// The oldest retained record.
    case earliest
    /// The high watermark when the partition is assigned: only records published afterwards.
    case latest
    /// A given offset.
    case offset(Int64)
    /// The first record at or after a time, in milliseconds since 1970.
    case timestamp(Int64)
}
