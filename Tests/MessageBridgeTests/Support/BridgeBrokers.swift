import MessageBus
import MessageBusIntegrationSupport
import MessageBusKafka
import MessageBusRabbitMQ
import Testing

/// The real brokers the bridge's integration tests copy between, from MESSAGEBUS_KAFKA_BROKERS and
/// MESSAGEBUS_AMQP_URL (the local defaults otherwise).
enum BridgeBrokers {
    static var kafkaURL: String {
        "kafka://\(IntegrationEnvironment.value(of: "MESSAGEBUS_KAFKA_BROKERS", default: "127.0.0.1:9092"))"
    }

    static var amqpURL: String {
        IntegrationEnvironment.value(of: "MESSAGEBUS_AMQP_URL", default: "amqp://guest:guest@127.0.0.1:5672/%2F")
    }

    /// The comment shown when the integration suites are opted out.
    static var skipComment: Comment { Comment(rawValue: IntegrationGate.skipReason) }

    /// A Kafka bus; a broker that does not answer fails the test with ``BrokerUnreachable``.
    static func kafka(_ configuration: MessageBusConfiguration = MessageBusConfiguration()) async throws -> KafkaMessageBus {
        let bus = try await self.open(self.kafkaURL, configuration, broker: "Kafka", variable: "MESSAGEBUS_KAFKA_BROKERS")
        return try #require(bus as? KafkaMessageBus)
    }

    /// A RabbitMQ bus; a broker that does not answer fails the test with ``BrokerUnreachable``.
    static func rabbitMQ(
        _ configuration: MessageBusConfiguration = MessageBusConfiguration()
    ) async throws -> RabbitMQMessageBus {
        let bus = try await self.open(self.amqpURL, configuration, broker: "RabbitMQ", variable: "MESSAGEBUS_AMQP_URL")
        return try #require(bus as? RabbitMQMessageBus)
    }

    private static func open(
        _ url: String, _ configuration: MessageBusConfiguration, broker: String, variable: String
    ) async throws -> any MessageBus {
        do {
            let bus = try await MessageBusConnector.connect(
                to: url, configuration: configuration, backends: [.kafka, .rabbitMQ],
                logger: BridgeTestSupport.logger("test.bridge.\(broker)"))
            try await bus.checkReadiness()
            return bus
        } catch let error as MessageBusError where error.code == .connectionFailed || error.code == .timeout {
            throw BrokerUnreachable(
                broker: broker, address: (try? MessageBusURL(url))?.description ?? url, variable: variable,
                detail: error.message)
        }
    }
}
