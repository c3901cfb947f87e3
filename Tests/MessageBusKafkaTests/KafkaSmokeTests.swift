import MessageBusIntegrationSupport
import Testing

/// A record through librdkafka's C API on the real broker at MESSAGEBUS_KAFKA_BROKERS (default
/// 127.0.0.1:9092): `make test` starts one (Tansu, or Apache Kafka through docker compose).
///
/// `.enabled(if:)` is an explicit opt-out only: with MESSAGEBUS_SKIP_INTEGRATION=1 the suite is skipped
/// and a banner on stderr says so; otherwise a broker that does not answer makes the test fail.
@Suite(
    "Kafka smoke test (real broker)",
    .enabled(if: IntegrationGate.isEnabled, IntegrationGate.skipComment),
    .timeLimit(.minutes(2))
)
struct KafkaSmokeTests {
    @Test("one record produced, delivery confirmed, and consumed back")
    func produceAndConsume() async throws {
        let brokers = KafkaTestEnvironment.brokers
        let topic = KafkaTestEnvironment.uniqueName("messagebus-smoke")
        let record = KafkaRoundTrip.Record(key: "smoke-key", value: "hello from \(topic)")

        let delivery = try await onDedicatedThread("kafka-smoke-produce") {
            try KafkaRoundTrip.createTopic(topic, brokers: brokers)
            return try KafkaRoundTrip.produce(record, to: topic, brokers: brokers)
        }
        #expect(delivery.partition == 0)
        #expect(delivery.offset >= 0)

        let consumed = try await onDedicatedThread("kafka-smoke-consume") {
            try KafkaRoundTrip.consume(record, from: topic, partition: delivery.partition, brokers: brokers)
        }
        #expect(consumed == record)
    }
}
