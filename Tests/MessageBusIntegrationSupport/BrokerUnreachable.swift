/// The error an integration test fails with when its broker does not answer: it names the address it
/// tried and how to start the brokers, so that a missing broker is never mistaken for a passing test.
package struct BrokerUnreachable: Error, CustomStringConvertible {
    /// The kind of broker, for the message ("Kafka", "RabbitMQ").
    package var broker: String
    /// The address that was tried.
    package var address: String
    /// The environment variable that overrides the address.
    package var variable: String
    /// What the client library reported.
    package var detail: String

    package init(broker: String, address: String, variable: String, detail: String) {
        self.broker = broker
        self.address = address
        self.variable = variable
        self.detail = detail
    }

    /// The failure, with the way to start the brokers.
    package var description: String {
        """
        \(broker) broker at \(address) is unreachable (\(detail)). Start the local brokers with \
        `make brokers-start` (or `scripts/brokers.sh start`), or run `docker compose up -d`; \
        set \(variable) when the broker is elsewhere. `make test` starts and stops them itself. \
        To skip the integration tests on purpose, set MESSAGEBUS_SKIP_INTEGRATION=1.
        """
    }
}
