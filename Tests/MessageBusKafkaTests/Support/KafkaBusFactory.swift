import MessageBusIntegrationSupport
import CMessageBusRdKafka
import Foundation
import Logging
import MessageBus
import MessageBusKafka

/// Opens buses for the tests: on the real broker (MESSAGEBUS_KAFKA_BROKERS) or on a named mock cluster.
enum KafkaBusFactory {
    /// A logger that stays quiet unless MESSAGEBUS_TEST_LOG_LEVEL asks otherwise (librdkafka's connection noise
    /// would drown the test output).
    static func logger(_ label: String) -> Logger {
        var logger = Logger(label: label)
        let level = ProcessInfo.processInfo.environment["MESSAGEBUS_TEST_LOG_LEVEL"].flatMap(Logger.Level.init(rawValue:))
        logger.logLevel = level ?? .error
        return logger
    }

    /// `kafka://<brokers>` of the real broker.
    static var realBrokerURL: String { "kafka://\(KafkaTestEnvironment.brokers)" }

    /// A bus on the real broker.
    static func realBus(_ configuration: MessageBusConfiguration = MessageBusConfiguration()) async throws -> any MessageBus {
        try await MessageBusConnector.connect(
            to: realBrokerURL, configuration: configuration, backends: [.kafka], logger: logger("test.kafka"))
    }

    /// A bus on the in-process mock cluster `name`.
    static func mockBus(
        _ name: String = "tests", configuration: MessageBusConfiguration = MessageBusConfiguration()
    ) async throws -> any MessageBus {
        try await MessageBusConnector.connect(
            to: "kafka-mock://\(name)", configuration: configuration, backends: [.kafka],
            logger: logger("test.kafka-mock"))
    }

    /// A bus on the real broker for `"real"`, or on the mock cluster `mockName` for `"mock"`, for tests that run on
    /// both; `nil` for `"real"` when integration tests are opted out (``IntegrationGate`` says so loudly).
    static func bus(on broker: String, mockName: String) async throws -> (any MessageBus)? {
        guard broker == "real" else { return try await self.mockBus(mockName) }
        guard IntegrationGate.isEnabled else { return nil }
        try await self.requireRealBroker()
        return try await self.realBus()
    }

    /// Fails with `BrokerUnreachable` (naming the address and `make brokers-start`) unless the real broker answers.
    static func requireRealBroker() async throws {
        let brokers = KafkaTestEnvironment.brokers
        try await onDedicatedThread("kafka-reachable") {
            let client = try RDKafkaHandle(RD_KAFKA_PRODUCER, brokers: brokers, properties: ["log_level": "0"])
            try client.requireReachable(timeoutMilliseconds: 5_000)
        }
    }
}
