import MessageBusIntegrationSupport

/// Where the RabbitMQ integration tests find their broker.
enum AMQPTestEnvironment {
    /// The variable that holds the broker's AMQP URL.
    static let urlVariable = "MESSAGEBUS_AMQP_URL"

    /// The local default: the address `scripts/brokers.sh` and `docker-compose.yml` use.
    static let defaultURL = "amqp://guest:guest@127.0.0.1:5672/%2F"

    /// The AMQP URL to test against: `MESSAGEBUS_AMQP_URL`, or the local default.
    static var url: String {
        IntegrationEnvironment.value(of: urlVariable, default: defaultURL)
    }

    /// A name no earlier run used.
    static func uniqueName(_ prefix: String) -> String {
        IntegrationEnvironment.uniqueName(prefix)
    }
}
