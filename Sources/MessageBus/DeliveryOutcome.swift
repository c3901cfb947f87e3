/// How a delivery is settled.
public enum DeliveryOutcome: Sendable, Hashable {
    /// Processed: removed for good from the group (Kafka: the offset becomes committable; RabbitMQ: `basic.ack`).
    case ack
    /// Not processed: delivered again to the group with its attempt count raised.
    case requeue
    /// Not processed and not wanted: removed without being redelivered or dead-lettered.
    case discard
    /// Not processable: moved to the subscription's dead-letter destination with the reason in
    /// ``WellKnownHeader/deadLetterReason``.
    case deadLetter(reason: String)
}
