/// The kind of queue a subscriber group gets.
public enum RabbitMQQueueType: String, Sendable, Hashable {
    /// A replicated quorum queue (`x-queue-type: quorum`). The default: it counts redeliveries in
    /// `x-delivery-count`, so ``MessageBus/Delivery/attempt`` rises by one per redelivery as on every backend.
    case quorum
    /// A classic queue. Lighter, but RabbitMQ only flags a redelivery, so attempts read 1 or 2.
    case classic
}
