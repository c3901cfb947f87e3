import MessageBusIntegrationSupport
import Foundation
import MessageBus
import MessageBusKafka
import Testing

/// Kafka-specific behaviour on the real broker: committed offsets after out-of-order acks, replay from an offset
/// and a time, and the oversized-record error.
@Suite(
    "Kafka backend behaviour (real broker)",
    .enabled(if: IntegrationGate.isEnabled, IntegrationGate.skipComment),
    .timeLimit(.minutes(3))
)
struct KafkaBackendBehaviourTests {
    /// Ten messages with one key (so one partition, offsets 0 to 9) on a new topic.
    private func publishTen(on bus: any MessageBus) async throws -> String {
        let topic = KafkaTestEnvironment.uniqueName("behaviour")
        try await bus.publish(contentsOf: (0..<10).map { Message(text: "m\($0)", key: "one", id: "m\($0)") }, to: topic)
        return topic
    }

    @Test("out-of-order acks commit only up to the first unacknowledged offset")
    func outOfOrderAcksCommitTheRightOffset() async throws {
        try await KafkaBusFactory.requireRealBroker()
        let bus = try await KafkaBusFactory.realBus()
        let topic = try await publishTen(on: bus)
        let options = SubscriptionOptions(startPosition: .earliest, prefetch: 20)
        let first = try await bus.subscribe(to: topic, group: "g", options: options)
        var received: [Delivery] = []
        while received.count < 10 { received += try await first.receive(max: 10, timeout: .seconds(30)) }
        #expect(received.map { $0.position?.offset } == (0..<10).map { Int64($0) })
        for delivery in received.reversed() where delivery.message.id != "m5" { try await delivery.ack() }
        await first.cancel()
        let second = try await bus.subscribe(to: topic, group: "g", options: options)
        let again = try await second.receive(max: 10, timeout: .seconds(30))
        #expect(again.first?.message.id == "m5", "the group must resume at the first unacknowledged offset")
        #expect(again.first?.position?.offset == 5)
        try await again.ackAll()
        try await bus.close()
    }

    @Test("a new group can start at an offset")
    func startAtOffset() async throws {
        try await KafkaBusFactory.requireRealBroker()
        let bus = try await KafkaBusFactory.realBus()
        let topic = try await publishTen(on: bus)
        let subscription = try await bus.subscribe(
            to: topic, group: "from-offset", options: SubscriptionOptions(startPosition: .offset(7)))
        var ids: [String] = []
        while ids.count < 3 {
            let batch = try await subscription.receive(max: 10, timeout: .seconds(30))
            try #require(!batch.isEmpty)
            ids += batch.map(\.message.id)
            try await batch.ackAll()
        }
        #expect(ids == ["m7", "m8", "m9"])
        try await bus.close()
    }

    @Test("a new group can start at a time", arguments: ["real", "mock"])
    func startAtTimestamp(broker: String) async throws {
        guard let bus = try await KafkaBusFactory.bus(on: broker, mockName: "behaviour-time") else { return }
        let topic = KafkaTestEnvironment.uniqueName("behaviour-time")
        let old = Date(timeIntervalSinceNow: -3600)
        try await bus.publish(Message(payload: Array("old".utf8), key: "k", id: "old", timestamp: old), to: topic)
        try await bus.publish(Message(text: "new", key: "k", id: "new"), to: topic)
        let subscription = try await bus.subscribe(
            to: topic, group: "from-time",
            options: SubscriptionOptions(startPosition: .timestamp(Date(timeIntervalSinceNow: -60))))
        let batch = try await subscription.receive(max: 10, timeout: .seconds(30))
        #expect(batch.map(\.message.id) == ["new"])
        try await batch.ackAll()
        try await bus.close()
    }

    @Test("an oversized record fails with messageTooLarge naming its size")
    func oversizedRecord() async throws {
        try await KafkaBusFactory.requireRealBroker()
        let bus = try await KafkaBusFactory.realBus()
        let topic = KafkaTestEnvironment.uniqueName("behaviour-large")
        let payload = [UInt8](repeating: 7, count: 5 << 20)
        let error = try await #require(throws: MessageBusError.self) {
            try await bus.publish(Message(payload: payload), to: topic)
        }
        #expect(error.code == .messageTooLarge)
        #expect(error.message.contains("\(payload.count)"))
        // The one-message send path refuses it the same way, and counts it off: a flush does not wait for it.
        let sendError = try await #require(throws: MessageBusError.self) {
            try await bus.send(Message(payload: payload), to: topic)
        }
        #expect(sendError.code == .messageTooLarge)
        try await bus.send(Message(text: "small"), to: topic)
        try await bus.flush()
        try await bus.close()
    }
}

/// With topic creation off, a missing topic is an error naming it, on the real broker.
@Suite(
    "Kafka unknown topic (real broker)",
    .enabled(if: IntegrationGate.isEnabled, IntegrationGate.skipComment),
    .timeLimit(.minutes(1))
)
struct KafkaUnknownTopicTests {
    @Test("publishing to a missing topic with createTopics off fails with unknownDestination")
    func unknownTopic() async throws {
        try await KafkaBusFactory.requireRealBroker()
        let bus = try await MessageBusConnector.connect(
            to: "\(KafkaBusFactory.realBrokerURL)?createTopics=false", backends: [.kafka],
            logger: KafkaBusFactory.logger("unknown-topic"))
        let topic = KafkaTestEnvironment.uniqueName("missing")
        let error = try await #require(throws: MessageBusError.self) {
            try await bus.publish(Message(text: "x"), to: topic)
        }
        #expect(error.code == .unknownDestination)
        #expect(error.message.contains(topic))
        try await bus.close()
    }
}
