/// Header names MessageBus reads and writes itself.
///
/// The names of the message properties follow the CloudEvents Kafka protocol binding (binary mode), so that a
/// consumer in another ecosystem reading a Kafka topic finds the id, content type and time where it expects them.
public enum WellKnownHeader {
    /// The message id on backends without a message-id property (CloudEvents `ce_id`).
    public static let id = "ce_id"
    /// The content type on backends without a content-type property (CloudEvents binding: `content-type`).
    public static let contentType = "content-type"
    /// The creation time, RFC 3339 (CloudEvents `ce_time`); read on Kafka when another producer sent it (MessageBus
    /// itself carries the time in the record timestamp).
    public static let time = "ce_time"
    /// The correlation id on backends without a correlation-id property.
    public static let correlationID = "ce_correlationid"
    /// The delivery attempt a requeued message starts its next delivery with, on backends that requeue by
    /// publishing the message again (Kafka), so that ``Delivery/attempt`` counts across the republish.
    public static let attempt = "messagebus-attempt"
    /// Why a message was dead-lettered: the reason given to ``Delivery/reject(reason:)``.
    public static let deadLetterReason = "messagebus-dead-letter-reason"
    /// The destination a dead-lettered message was consumed from.
    public static let deadLetterSource = "messagebus-dead-letter-source"
    /// The subscriber group that dead-lettered a message.
    public static let deadLetterGroup = "messagebus-dead-letter-group"
    /// The delivery attempt on which a message was dead-lettered.
    public static let deadLetterAttempt = "messagebus-dead-letter-attempt"
}
