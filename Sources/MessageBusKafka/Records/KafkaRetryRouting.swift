/// The routing of a retry record: the record a group gave back with ``MessageBus/DeliveryOutcome/requeue`` or
/// ``MessageBus/DeliveryOutcome/retry(after:)``, published again for that group alone.
struct KafkaRetryRouting: Sendable, Equatable {
    /// The consumer group the record is for; other groups skip it.
    var group: String?
    /// The topic the message was first consumed from.
    var source: String?
    /// When the record may be delivered, in milliseconds since 1970; `nil`: at once.
    var dueMilliseconds: Int64?

    /// The headers that carry this routing on the record.
    var headers: [(String, String)] {
        var headers: [(String, String)] = []
        if let group { headers.append((KafkaRecordCodec.retryGroupHeader, group)) }
        if let source { headers.append((KafkaRecordCodec.retrySourceHeader, source)) }
        if let dueMilliseconds { headers.append((KafkaRecordCodec.retryAtHeader, String(dueMilliseconds))) }
        return headers
    }
}
