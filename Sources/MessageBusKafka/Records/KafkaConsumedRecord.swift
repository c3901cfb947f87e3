/// A consumed record as ``KafkaRecordCodec/decode(_:)`` reads it: its bytes are borrowed from wherever the record
/// lives (librdkafka's fetch buffers on the consumer thread), so decoding copies each byte once, straight into the
/// ``MessageBus/Message``, and allocates nothing for the headers the codec owns.
protocol KafkaConsumedRecord {
    /// The topic it was read from.
    var topic: String { get }
    /// The partition it was read from.
    var partition: Int32 { get }
    /// Its offset in the partition.
    var offset: Int64 { get }
    /// The record timestamp in milliseconds since 1970, when it has one.
    var timestampMilliseconds: Int64? { get }
    /// Calls `body` with the value's bytes, valid only during the call.
    func withValue<Result>(_ body: (UnsafeRawBufferPointer) -> Result) -> Result
    /// Calls `body` with the key's bytes (`nil` for no key), valid only during the call.
    func withKey<Result>(_ body: (UnsafeRawBufferPointer?) -> Result) -> Result
    /// Calls `body` with each header's name and value bytes, in order, valid only during each call.
    func forEachHeader(_ body: (_ name: UnsafeRawBufferPointer, _ value: UnsafeRawBufferPointer) -> Void)
}
