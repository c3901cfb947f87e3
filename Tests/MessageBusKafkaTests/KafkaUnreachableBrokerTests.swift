import MessageBusIntegrationSupport
import CMessageBusRdKafka
import Testing

/// What an integration test says when its broker is not there. Needs no broker: it points librdkafka at
/// a loopback port where nothing listens.
@Suite("Kafka broker unreachable")
struct KafkaUnreachableBrokerTests {
    @Test("fails naming the address tried and how to start the brokers")
    func unreachableBrokerFailsWithHelp() async throws {
        let address = "127.0.0.1:1"  // tcpmux: nothing listens there
        let error = try await onDedicatedThread("kafka-unreachable") { () -> BrokerUnreachable? in
            // log_level 0: the refused connections are expected here; keep them out of the test output.
            let client = try RDKafkaHandle(RD_KAFKA_PRODUCER, brokers: address, properties: ["log_level": "0"])
            do {
                try client.requireReachable(timeoutMilliseconds: 1_500)
                return nil
            } catch let error as BrokerUnreachable {
                return error
            }
        }
        let unreachable = try #require(error, "a metadata request to \(address) unexpectedly succeeded")
        let text = unreachable.description
        #expect(text.contains("Kafka broker at \(address) is unreachable"))
        #expect(text.contains("make brokers-start"))
        #expect(text.contains("docker compose up -d"))
        #expect(text.contains("MESSAGEBUS_KAFKA_BROKERS"))
        #expect(text.contains("MESSAGEBUS_SKIP_INTEGRATION=1"))
    }
}
