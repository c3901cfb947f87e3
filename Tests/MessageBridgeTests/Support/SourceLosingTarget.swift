import MessageBus
import Synchronization

/// A bridge target that forwards to `target` and, right after its first send, makes `source` lose its connection:
/// the bridge then acknowledges a batch it copied and confirmed that the source has already given back to its
/// group, as after a Kafka rebalance or a RabbitMQ reconnection between the copy and the ack.
final class SourceLosingTarget: MessageBus {
    private let target: any MessageBus
    private let source: InMemoryMessageBus
    private let lostOnce = Atomic(false)

    init(forwardingTo target: any MessageBus, losing source: InMemoryMessageBus) {
        self.target = target
        self.source = source
    }

    var backend: String { self.target.backend }
    var capabilities: MessageBusCapabilities { self.target.capabilities }
    var configuration: MessageBusConfiguration { self.target.configuration }

    func send(contentsOf messages: [Message], to destination: String) async throws {
        try await self.target.send(contentsOf: messages, to: destination)
        if !self.lostOnce.exchange(true, ordering: .acquiringAndReleasing) {
            try self.source.simulateConnectionLoss()
        }
    }

    func publish(contentsOf messages: [Message], to destination: String) async throws {
        try await self.target.publish(contentsOf: messages, to: destination)
    }

    func send(_ message: Message, to destination: String) async throws {
        try await self.send(contentsOf: [message], to: destination)
    }

    func flush() async throws { try await self.target.flush() }

    func subscribe(to destination: String, group: String?, options: SubscriptionOptions) async throws -> Subscription {
        try await self.target.subscribe(to: destination, group: group, options: options)
    }

    func withTransaction<Result: Sendable>(
        _ body: (any MessageBusTransaction) async throws -> Result
    ) async throws -> Result {
        try await self.target.withTransaction(body)
    }

    func checkReadiness() async throws { try await self.target.checkReadiness() }

    func close(deadline: Duration) async throws { try await self.target.close(deadline: deadline) }
}
