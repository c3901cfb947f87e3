/// The kind of a queue (`x-queue-type`): what a subscriber group gets, or what ``RabbitMQQueue`` declares.
public enum RabbitMQQueueType: String, Sendable, Hashable {
    /// A replicated quorum queue (`x-queue-type: quorum`). The default: it counts redeliveries in
    /// `x-delivery-count`, so ``/MessageBus/Delivery/attempt`` rises by one per redelivery as on every backend.
    case quorum
    /// A classic queue. Lighter, but RabbitMQ only flags a redelivery, so attempts read 1 or 2.
    case classic
    /// An append-only stream (`x-queue-type: stream`): consuming does not remove messages, and a consumer starts
    /// at a position (``RabbitMQStreamOffset``), so streams replay. Not for subscriber groups, whose members must
    /// share the work.
    case stream
}
