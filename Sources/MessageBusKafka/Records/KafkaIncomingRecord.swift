/// A record copied out of librdkafka on the consumer thread: bytes only, so nothing C outlives the poll.
struct KafkaIncomingRecord: Sendable {
    /// The topic it was read from.
    var topic: String
    /// The partition it was read from.
    var partition: Int32
    /// Its offset in the partition.
    var offset: Int64
    /// The record key; `nil` for none.
    var key: [UInt8]?
    /// The record value.
    var value: [UInt8]
    /// The record headers, in order.
    var headers: [(name: String, value: [UInt8])]
    /// The record timestamp in milliseconds since 1970, when it has one.
    var timestampMilliseconds: Int64?
}
