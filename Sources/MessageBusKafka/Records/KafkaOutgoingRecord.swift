import MessageBus

/// A record ready for librdkafka: bytes and the message id, so the C layer needs nothing else.
struct KafkaOutgoingRecord: Sendable {
    /// The record key; `nil` for none.
    var key: [UInt8]?
    /// The record value.
    var value: [UInt8]
    /// The message id, sent after ``headers`` as the ``MessageBus/WellKnownHeader/id`` header; kept apart so
    /// that the common record (an id and no other header) needs no header array and no copy of the id's bytes.
    var messageID: MessageIdentifier?
    /// The other record headers, in order.
    var headers: [(name: String, value: [UInt8])]
    /// The create time in milliseconds since 1970, or `nil` to let librdkafka stamp it.
    var timestampMilliseconds: Int64?
    /// An explicit partition, or `nil` to let the partitioner choose (by key).
    var partition: Int32?
}
