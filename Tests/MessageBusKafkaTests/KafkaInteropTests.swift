import MessageBusIntegrationSupport
import Foundation
import MessageBus
import MessageBusKafka
import Testing

/// MessageBus and an independent Kafka client (Python confluent-kafka, librdkafka 2.16) read each other's records
/// with identical key, value and headers.
@Suite(
    "Kafka interop with confluent-kafka (real broker)",
    .enabled(if: IntegrationGate.isEnabled, IntegrationGate.skipComment),
    .timeLimit(.minutes(2))
)
struct KafkaInteropTests {
    struct PythonRecord: Decodable {
        var key: String
        var value: String
        var headers: [[String]]
    }

    @Test("a record MessageBus publishes is read by confluent-kafka unchanged")
    func messageBusToPython() async throws {
        try await KafkaBusFactory.requireRealBroker()
        let bus = try await KafkaBusFactory.realBus()
        let topic = KafkaTestEnvironment.uniqueName("interop-out")
        var headers = MessageHeaders()
        headers.append(name: "trace", value: "t-1")
        headers.append(MessageHeader(name: "binary", value: [0, 1, 254, 255]))
        let message = Message(
            payload: [0, 10, 200, 255], key: "customer-9", headers: headers, id: "id-42", contentType: "application/x-test")
        try await bus.publish(message, to: topic)
        try await bus.close()
        let output = try await PythonKafkaClient.run(
            PythonKafkaClient.consumeScript, arguments: [KafkaTestEnvironment.brokers, topic, "1"])
        let line = try #require(output.split(separator: "\n").first, "confluent-kafka read nothing")
        let record = try JSONDecoder().decode(PythonRecord.self, from: Data(line.utf8))
        #expect(record.key == Array("customer-9".utf8).hex)
        #expect(record.value == [UInt8]([0, 10, 200, 255]).hex)
        let names = record.headers.map { $0[0] }
        #expect(Array(names.prefix(2)) == ["trace", "binary"])
        #expect(record.headers[1][1] == [UInt8]([0, 1, 254, 255]).hex)
        #expect(record.headers.contains(["ce_id", Array("id-42".utf8).hex]))
        #expect(record.headers.contains(["content-type", Array("application/x-test".utf8).hex]))
    }

    @Test("a record confluent-kafka produces is received by MessageBus unchanged")
    func pythonToMessageBus() async throws {
        try await KafkaBusFactory.requireRealBroker()
        let bus = try await KafkaBusFactory.realBus()
        let topic = KafkaTestEnvironment.uniqueName("interop-in")
        let subscription = try await bus.subscribe(
            to: topic, group: "readers", options: SubscriptionOptions(startPosition: .earliest))
        _ = try await PythonKafkaClient.run(
            PythonKafkaClient.produceScript,
            arguments: [
                KafkaTestEnvironment.brokers, topic, Array("k-1".utf8).hex, [UInt8]([1, 2, 3, 250]).hex,
                "plain", Array("yes".utf8).hex, "ce_id", Array("from-python".utf8).hex, "raw", [UInt8]([0, 255]).hex,
            ])
        let deliveries = try await subscription.receive(max: 1, timeout: .seconds(30))
        let delivery = try #require(deliveries.first)
        #expect(delivery.message.key == "k-1")
        #expect(delivery.message.payload == [1, 2, 3, 250])
        #expect(delivery.message.id == "from-python")
        #expect(delivery.message.headers["plain"] == "yes")
        #expect(delivery.message.headers.bytes(forName: "raw") == [0, 255])
        try await delivery.ack()
        try await bus.close()
    }
}
