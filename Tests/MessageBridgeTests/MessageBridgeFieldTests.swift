import Foundation
import MessageBridge
import MessageBus
import MessageBusIntegrationSupport
import Testing

/// Every field of a message crosses the bridge between the real brokers, in both directions.
///
/// What the bridge must keep is what the source backend delivered; the test compares the target's deliveries with
/// a witness group's deliveries on the source, every field at once: payload, key, headers, id, content type,
/// correlation id and the timestamp to the millisecond (AMQP's own timestamp has whole seconds; the RabbitMQ backend
/// carries the milliseconds in its `timestamp_in_ms` header).
@Suite(
    "Message bridge fields (Kafka <-> RabbitMQ)", .enabled(if: IntegrationGate.isEnabled, BridgeBrokers.skipComment),
    .timeLimit(.minutes(3)))
struct MessageBridgeFieldTests {
    @Test func kafkaToRabbitMQKeepsEveryField() async throws {
        let kafka = try await BridgeBrokers.kafka()
        let rabbit = try await BridgeBrokers.rabbitMQ()
        let (sourceSide, targetSide) = try await self.bridge(from: kafka, to: rabbit, witnessFirst: false)

        #expect(targetSide == sourceSide)
        #expect(targetSide.allSatisfy { $0.timestamp != nil && $0.contentType != nil && $0.correlationID != nil })
        // The source's times have milliseconds, which must have survived.
        #expect(targetSide.allSatisfy { $0.timestamp!.timeIntervalSince1970.truncatingRemainder(dividingBy: 1) > 0 })
        try await kafka.close()
        try await rabbit.close()
    }

    @Test func rabbitMQToKafkaKeepsEveryField() async throws {
        let kafka = try await BridgeBrokers.kafka()
        let rabbit = try await BridgeBrokers.rabbitMQ()
        let (sourceSide, targetSide) = try await self.bridge(from: rabbit, to: kafka, witnessFirst: true)

        #expect(targetSide == sourceSide)
        #expect(targetSide.allSatisfy { $0.timestamp != nil && $0.contentType != nil && $0.correlationID != nil })
        try await kafka.close()
        try await rabbit.close()
    }

    /// Publishes rich messages on `source`, bridges them to `target` and returns what a witness group read on the
    /// source and what a group read on the target, both sorted by id.
    private func bridge(
        from source: any MessageBus, to target: any MessageBus, witnessFirst: Bool
    ) async throws -> (source: [Message], target: [Message]) {
        let destination = IntegrationEnvironment.uniqueName("bridge-fields")
        let options = SubscriptionOptions(startPosition: .earliest, prefetch: 100)
        // Queues exist only once subscribed: the RabbitMQ side's groups are created before anything is published.
        let check = try await target.subscribe(to: destination, group: "check", options: options)
        let witness = try await source.subscribe(to: destination, group: "witness", options: options)
        if witnessFirst { try await source.subscribe(to: destination, group: "bridge", options: options).cancel() }
        let sent = (0..<20).map { BridgeTestSupport.richMessage($0) }
        try await source.publish(contentsOf: sent, to: destination)

        let report = try await MessageBridge(
            from: source, to: target, source: .destination(destination, group: "bridge"),
            options: MessageBridgeOptions(batchSize: 8, maxInFlight: 16, cutOverIdle: .seconds(2)),
            logger: BridgeTestSupport.logger("test.bridge")
        ).run()

        #expect(report.copied == sent.count)
        let copied = try await LiveBacklog.take(sent.count, from: check)
        let delivered = try await LiveBacklog.take(sent.count, from: witness)
        #expect(Set(delivered.map(\.id)) == Set(sent.map(\.id)))
        return (delivered.sorted { $0.id < $1.id }, copied.sorted { $0.id < $1.id })
    }
}
