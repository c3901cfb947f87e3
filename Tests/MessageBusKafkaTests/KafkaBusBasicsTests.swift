import MessageBusIntegrationSupport
import Foundation
import MessageBus
import MessageBusKafka
import Testing

/// The bus end to end on the real broker: publish, subscribe, acknowledge.
@Suite(
    "Kafka bus basics (real broker)",
    .enabled(if: IntegrationGate.isEnabled, IntegrationGate.skipComment),
    .timeLimit(.minutes(3))
)
struct KafkaBusBasicsTests {
    @Test("a published message is received with its properties")
    func publishAndReceive() async throws {
        try await KafkaBusFactory.requireRealBroker()
        let bus = try await KafkaBusFactory.realBus()
        let topic = KafkaTestEnvironment.uniqueName("basics")
        let subscription = try await bus.subscribe(
            to: topic, group: "readers", options: SubscriptionOptions(startPosition: .earliest))
        try await bus.publish(
            Message(payload: Array("hello".utf8), key: "k", headers: ["h": "v"], id: "id-1", correlationID: "c-1"), to: topic)
        let deliveries = try await subscription.receive(max: 10, timeout: .seconds(30))
        try #require(deliveries.count == 1)
        #expect(deliveries[0].message.text == "hello")
        #expect(deliveries[0].message.id == "id-1")
        #expect(deliveries[0].message.correlationID == "c-1")
        #expect(deliveries[0].message.headers["h"] == "v")
        #expect(deliveries[0].message.headers[WellKnownHeader.id] == nil)
        #expect(deliveries[0].attempt == 1)
        try await deliveries[0].ack()
        try await bus.close()
    }
}
