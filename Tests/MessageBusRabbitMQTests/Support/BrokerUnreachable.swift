/// The error an integration test fails with when its broker does not answer: it names the address it
/// tried and how to start the brokers, so that a missing broker is never mistaken for a passing test.
struct BrokerUnreachable: Error, CustomStringConvertible {
    /// The kind of broker, for the message ("Kafka", "RabbitMQ").
    var broker: String
    /// The address that was tried.
    var address: String
    /// The environment variable that overrides the address.
    var variable: String
    /// What the client library reported.
    var detail: String

    var description: String {
        """
        \(broker) broker at \(address) is unreachable (\(detail)). Start the local brokers with \
        `make brokers-start` (or `scripts/brokers.sh start`), or run `docker compose up -d`; \
        set \(variable) when the broker is elsewhere. `make test` starts and stops them itself. \
        To skip the integration tests on purpose, set MESSAGEBUS_SKIP_INTEGRATION=1.
        """
    }
}
