import MessageBusIntegrationSupport
import Foundation
import MessageBus
@testable import MessageBusKafka
import Testing

/// A bus or a subscription its user drops without closing must not leak: its consumer and poll threads end and
/// its librdkafka clients are destroyed. Each thread holds its consumer or client until it has ended and destroyed
/// the handle, so a weak reference to that object turning `nil` proves both.
@Suite("Kafka bus and subscription dropped without close", .timeLimit(.minutes(2)))
struct KafkaDroppedWithoutCloseTests {
    /// Weak references to the objects the threads of one bus and one subscription hold.
    private final class Watched: @unchecked Sendable {
        weak var producerClient: RDKafkaClient?
        weak var consumer: RDKafkaConsumer?
        weak var consumerClient: RDKafkaClient?
        weak var subscription: KafkaSubscription?

        func watch(bus: KafkaMessageBus) throws {
            self.producerClient = bus.publisher.producer.client
            let subscription = try #require(bus.liveSubscriptions.first)
            self.subscription = subscription
            self.consumer = subscription.consumer
            self.consumerClient = subscription.consumer?.client
            #expect(self.consumer != nil && self.consumerClient != nil)
        }

        var subscriptionSideGone: Bool { self.subscription == nil && self.consumer == nil && self.consumerClient == nil }
    }

    /// Opens a bus on the mock cluster, subscribes, receives and acknowledges one record.
    private func busWithSubscription(_ topic: String) async throws -> (KafkaMessageBus, Subscription) {
        let bus = try #require(try await KafkaBusFactory.mockBus("dropped") as? KafkaMessageBus)
        try await bus.publish(Message(text: "one", key: "k"), to: topic)
        let subscription = try await bus.subscribe(
            to: topic, group: "g", options: SubscriptionOptions(startPosition: .earliest))
        let batch = try await subscription.receive(max: 1, timeout: .seconds(20))
        #expect(batch.count == 1)
        try await batch.ackAll()
        return (bus, subscription)
    }

    @Test("a subscription dropped without cancel ends its consumer thread while the bus stays open")
    func droppedSubscription() async throws {
        let watched = Watched()
        let topic = KafkaTestEnvironment.uniqueName("dropped-sub")
        let bus: KafkaMessageBus
        do {
            let (opened, subscription) = try await self.busWithSubscription(topic)
            bus = opened
            try watched.watch(bus: bus)
            _ = subscription
        }
        try await eventually(
            "the consumer thread and client to end with their subscription", timeout: .seconds(30),
            pollEvery: .milliseconds(50)
        ) { watched.subscriptionSideGone }
        #expect(watched.producerClient != nil, "the open bus keeps its producer")
        // The group was left with the acknowledged offset committed: a new member starts after it.
        try await bus.publish(Message(text: "two", key: "k"), to: topic)
        let again = try await bus.subscribe(to: topic, group: "g", options: SubscriptionOptions(startPosition: .earliest))
        let batch = try await again.receive(max: 10, timeout: .seconds(20))
        #expect(batch.map(\.message.text) == ["two"])
        try await bus.close()
    }

    @Test("a bus dropped without close ends its poll and consumer threads and destroys its clients")
    func droppedBus() async throws {
        let watched = Watched()
        do {
            let (bus, subscription) = try await self.busWithSubscription(KafkaTestEnvironment.uniqueName("dropped-bus"))
            try watched.watch(bus: bus)
            _ = subscription
        }
        try await eventually(
            "every thread and client to end with their bus", timeout: .seconds(30), pollEvery: .milliseconds(50)
        ) { watched.subscriptionSideGone && watched.producerClient == nil }
    }
}
