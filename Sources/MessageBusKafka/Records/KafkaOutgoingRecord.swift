/// A record ready for librdkafka: bytes only, no MessageBus types, so the C layer needs nothing else.
struct KafkaOutgoingRecord: Sendable {
    /// The record key; `nil` for none.
    var key: [UInt8]?
    /// The record value.
    var value: [UInt8]
    /// The record headers, in order.
    var headers: [(name: String, value: [UInt8])]
    /// The create time in milliseconds since 1970, or `nil` to let librdkafka stamp it.
    var timestampMilliseconds: Int64?
    /// An explicit partition, or `nil` to let the partitioner choose (by key).
    var partition: Int32?
}
