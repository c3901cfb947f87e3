import MessageBusIntegrationSupport

/// Where the Kafka integration tests find their broker.
enum KafkaTestEnvironment {
    /// The variable that names the bootstrap servers (`host:port[,host:port...]`).
    static let brokersVariable = "MESSAGEBUS_KAFKA_BROKERS"

    /// The local default: the address `scripts/brokers.sh` and `docker-compose.yml` use.
    static let defaultBrokers = "127.0.0.1:9092"

    /// The bootstrap servers to test against: `MESSAGEBUS_KAFKA_BROKERS`, or the local default.
    static var brokers: String {
        IntegrationEnvironment.value(of: brokersVariable, default: defaultBrokers)
    }

    /// A name no earlier run used.
    static func uniqueName(_ prefix: String) -> String {
        IntegrationEnvironment.uniqueName(prefix)
    }
}
