/// Work that commits atomically: what it publishes becomes visible, and what it acknowledges is settled, together
/// or not at all.
///
/// Obtained from ``MessageBus/withTransaction(_:)``. On Kafka this is a producer transaction that also carries the
/// consumed offsets (consume-transform-produce); consumers under exactly-once never see output of an aborted one.
public protocol MessageBusTransaction: Sendable {
    /// Publishes `messages` to `destination` within the transaction.
    func publish(contentsOf messages: [Message], to destination: String) async throws
    /// Acknowledges `deliveries` within the transaction: they are settled when it commits and redelivered when it
    /// aborts.
    func acknowledge(_ deliveries: [Delivery]) async throws
}

extension MessageBusTransaction {
    /// Publishes one message within the transaction.
    public func publish(_ message: Message, to destination: String) async throws {
        try await self.publish(contentsOf: [message], to: destination)
    }

    /// Acknowledges one delivery within the transaction.
    public func acknowledge(_ delivery: Delivery) async throws {
        try await self.acknowledge([delivery])
    }
}
