import MessageBusIntegrationSupport
import Foundation
import MessageBus
import MessageBusKafka
import Testing

/// One group on several topics, by name or by pattern, on the real broker.
@Suite(
    "Kafka multi-topic and pattern subscriptions (real broker)",
    .enabled(if: IntegrationGate.isEnabled, IntegrationGate.skipComment),
    .timeLimit(.minutes(3))
)
struct KafkaMultiTopicTests {
    private func kafkaBus() async throws -> KafkaMessageBus {
        try await KafkaBusFactory.requireRealBroker()
        return try #require(try await KafkaBusFactory.realBus() as? KafkaMessageBus)
    }

    /// Receives until `count` deliveries arrived (each receive waits at most 30 s).
    private func receive(_ count: Int, from subscription: Subscription) async throws -> [Delivery] {
        var received: [Delivery] = []
        while received.count < count {
            let batch = try await subscription.receive(max: count - received.count, timeout: .seconds(30))
            try #require(!batch.isEmpty, "received \(received.count) of \(count)")
            received += batch
        }
        return received
    }

    @Test("a group on two topics receives both, each delivery names its topic, and commits per topic")
    func twoTopics() async throws {
        let bus = try await self.kafkaBus()
        let first = KafkaTestEnvironment.uniqueName("multi-a")
        let second = KafkaTestEnvironment.uniqueName("multi-b")
        try await bus.publish(contentsOf: [Message(text: "a1", id: "a1"), Message(text: "a2", id: "a2")], to: first)
        try await bus.publish(contentsOf: [Message(text: "b1", id: "b1")], to: second)
        let options = SubscriptionOptions(startPosition: .earliest)
        let subscription = try await bus.subscribe(toTopics: [first, second], group: "g", options: options)
        let received = try await self.receive(3, from: subscription)
        #expect(Set(received.map(\.message.id)) == ["a1", "a2", "b1"])
        for delivery in received {
            #expect(delivery.destination == (delivery.message.id.hasPrefix("a") ? first : second))
        }
        // A rejected delivery goes to its own topic's dead-letter topic.
        let rejected = try #require(received.first { $0.message.id == "b1" })
        try await rejected.reject(reason: "test")
        try await received.filter { $0 !== rejected }.ackAll()
        await subscription.cancel()

        try await bus.publish(Message(text: "a3", id: "a3"), to: first)
        try await bus.publish(Message(text: "b2", id: "b2"), to: second)
        let resumed = try await bus.subscribe(toTopics: [second, first], group: "g", options: options)
        let next = try await self.receive(2, from: resumed)
        #expect(Set(next.map(\.message.id)) == ["a3", "b2"], "the group resumes after what it acknowledged on each topic")
        try await next.ackAll()

        let deadLetters = try await bus.subscribe(to: "\(second).dlq", group: "dlq", options: options)
        let deadLetter = try await self.receive(1, from: deadLetters)
        #expect(deadLetter.map(\.message.id) == ["b1"])
        try await bus.close()
    }

    @Test("effectively-once on two topics: a copy held while another is in flight comes once that one is given back")
    func effectivelyOnceHoldsCopiesOnEveryTopic() async throws {
        try await KafkaBusFactory.requireRealBroker()
        let bus = try await KafkaBusFactory.realBus(MessageBusConfiguration(guarantee: .effectivelyOnce()))
        let kafka = try #require(bus as? KafkaMessageBus)
        let first = KafkaTestEnvironment.uniqueName("copies-a")
        let second = KafkaTestEnvironment.uniqueName("copies-b")
        try await bus.publish(
            contentsOf: [Message(text: "copy 1", id: "twice"), Message(text: "copy 2", id: "twice")], to: first)
        try await bus.publish(Message(text: "b", id: "b"), to: second)
        let subscription = try await kafka.subscribe(
            toTopics: [first, second], group: "g", options: SubscriptionOptions(startPosition: .earliest))
        let received = try await self.receive(2, from: subscription)
        #expect(received.map(\.message.id).sorted() == ["b", "twice"])
        #expect(try await subscription.receive(max: 10, timeout: .seconds(2)).isEmpty, "the second copy is held")
        // Each topic's deliveries have a context of their own; the copy held under the first topic's is released
        // by this give-back and must reach the subscription.
        let copy = try #require(received.first { $0.message.id == "twice" })
        try await copy.nack(requeue: true)
        let again = try await self.receive(1, from: subscription)
        #expect(again.map(\.message.id) == ["twice"])
        try await again.ackAll()
        try await received.filter { $0 !== copy }.ackAll()
        #expect(try await subscription.receive(max: 10, timeout: .seconds(3)).isEmpty, "the requeued copy is dropped")
        try await bus.close()
    }

    @Test("a pattern subscription receives from every matching topic and none other")
    func pattern() async throws {
        let bus = try await self.kafkaBus()
        let prefix = KafkaTestEnvironment.uniqueName("pattern")
        let matching = ["\(prefix).x", "\(prefix).y"]
        let other = "\(prefix)-other"
        for (index, topic) in matching.enumerated() {
            try await bus.publish(Message(text: topic, id: "m\(index)"), to: topic)
        }
        try await bus.publish(Message(text: other, id: "other"), to: other)
        let escaped = prefix.replacingOccurrences(of: ".", with: "\\.")
        let subscription = try await bus.subscribe(
            matching: "^\(escaped)\\..*", group: "g",
            options: SubscriptionOptions(startPosition: .earliest, deadLetterDestination: "\(prefix)-rejects"))
        let received = try await self.receive(2, from: subscription)
        #expect(Set(received.map(\.destination)) == Set(matching))
        // Offsets and partition numbers name no topic here: only positions that apply to every topic are taken.
        let seekError = try await #require(throws: MessageBusError.self) { try await subscription.seek(to: .offset(0)) }
        #expect(seekError.code == .invalidConfiguration, "\(seekError)")
        await #expect(throws: MessageBusError.self) { try await subscription.seek(to: .beginning, partition: 0) }
        try await received.ackAll()
        // Were the other topic subscribed, its record (read from the earliest offset) would arrive in one of these
        // receives instead of, or before, this one.
        try await bus.publish(Message(text: "late", id: "late"), to: matching[0])
        let late = try await self.receive(1, from: subscription)
        #expect(late.map(\.message.id) == ["late"])
        try await bus.close()
    }

    static let rejects = SubscriptionOptions(deadLetterDestination: "rejects")

    @Test("an empty topic list, a pattern without '^' or that does not compile, and a dead-letter destination missing or matched by the pattern are refused by name")
    func invalidInputs() async throws {
        let bus = try #require(try await KafkaBusFactory.mockBus("multi-topic-invalid") as? KafkaMessageBus)
        for attempt in [
            { try await bus.subscribe(toTopics: [], group: "g") },
            { try await bus.subscribe(toTopics: ["ok", "not ok"], group: "g") },
            { try await bus.subscribe(matching: "orders.*", group: "g", options: Self.rejects) },
            { try await bus.subscribe(matching: "^(orders", group: "g", options: Self.rejects) },
            // Without a dead-letter destination, or with one the pattern matches, rejects would come back.
            { try await bus.subscribe(matching: "^orders\\..*", group: "g") },
            { try await bus.subscribe(
                matching: "^orders\\..*", group: "g", options: SubscriptionOptions(deadLetterDestination: "orders.dlq")) },
        ] as [@Sendable () async throws -> Subscription] {
            let error = await #expect(throws: MessageBusError.self) { _ = try await attempt() }
            #expect(error?.code == .invalidConfiguration)
        }
        let error = await #expect(throws: MessageBusError.self) {
            _ = try await bus.subscribe(matching: "^(orders", group: "g", options: Self.rejects)
        }
        #expect(error?.message.contains("^(orders") == true)
        let matched = await #expect(throws: MessageBusError.self) {
            _ = try await bus.subscribe(
                matching: "^orders\\..*", group: "g", options: SubscriptionOptions(deadLetterDestination: "orders.dlq"))
        }
        #expect(matched?.message.contains("orders.dlq") == true)
        try await bus.close()
    }
}
