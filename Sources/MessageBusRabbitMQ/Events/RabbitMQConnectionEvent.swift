public import MessageBus

/// Something that happened to a bus's connection, for ``RabbitMQMessageBus/connectionEvents()``: what the official
/// clients report through their recovery and blocked listeners.
public enum RabbitMQConnectionEvent: Sendable {
    /// The connection broke (a network failure, a broker restart, `rabbitmqctl close_connection`); recovery starts
    /// when it is enabled.
    case connectionLost(reason: String)
    /// A new connection is open and the topology, consumers and unconfirmed publishes are restored on it.
    case recovered(endpoint: RabbitMQEndpoint, attempts: Int, republished: Int)
    /// Recovery gave up (or is off): the bus is unusable and every call fails with this error.
    case recoveryFailed(MessageBusError)
    /// The broker stopped reading publishes (a memory or disk alarm); publishing waits until ``unblocked``.
    case blocked(reason: String)
    /// The broker accepts publishes again.
    case unblocked
    /// After a recovery, the broker refused to declare again part of the topology declared through the bus (its
    /// arguments were changed by another application, say); recovery went on without it.
    case topologyNotRestored(entry: String, reason: String)
    /// The broker cancelled a consumer (its queue was deleted, or its node went away); the subscription ended.
    case consumerCancelled(queue: String, reason: String)
}
