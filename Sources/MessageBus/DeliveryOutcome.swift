/// How a delivery is settled.
public enum DeliveryOutcome: Sendable, Hashable {
    /// Processed: removed for good from the group (Kafka: the offset becomes committable; RabbitMQ: `basic.ack`).
    case ack
    /// Not processed: delivered again to the same group (and only to it) with its attempt count raised, as soon as
    /// the broker can. The same as ``retry(after:)`` with a zero delay.
    case requeue
    /// Not processed yet: delivered again to the same group (and only to it) with its attempt count raised, no
    /// sooner than `after` from now. Nothing of the group's is held back meanwhile: later messages, those with the
    /// same key included, go on being delivered.
    case retry(after: Duration)
    /// Not processed and not wanted: removed without being redelivered or dead-lettered.
    case discard
    /// Not processable: moved to the subscription's dead-letter destination with the reason in
    /// ``WellKnownHeader/deadLetterReason``.
    case deadLetter(reason: String)

    /// How long a redelivery waits: `.zero` for ``requeue``, the delay for ``retry(after:)``, `nil` for the
    /// outcomes that do not redeliver.
    public var redeliveryDelay: Duration? {
        switch self {
        case .requeue: .zero
        case .retry(let delay): max(.zero, delay)
        case .ack, .discard, .deadLetter: nil
        }
    }
}
