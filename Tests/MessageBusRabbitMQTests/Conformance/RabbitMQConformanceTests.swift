import MessageBusIntegrationSupport
import Logging
import MessageBus
import MessageBusConformance
import MessageBusRabbitMQ
import Testing

/// The conformance suite, unchanged, on the real RabbitMQ at MESSAGEBUS_AMQP_URL: every case must pass, or be
/// unsupported with a reason. A broker that does not answer fails every case with a message naming the URL.
@Suite(
    "Conformance: rabbitmq",
    .enabled(if: IntegrationGate.isEnabled, IntegrationGate.skipComment),
    .timeLimit(.minutes(5))
)
struct RabbitMQConformanceTests {
    static let backend = ConformanceBackend(name: "rabbitmq", quietPeriod: .milliseconds(500)) { configuration in
        try await RabbitMQTestBus.open(configuration, label: "conformance.rabbitmq")
    }

    init() {
        ConformanceTraceInstrument.bootstrap()
    }

    @Test(arguments: ConformanceSuite.cases)
    func conformance(_ testCase: ConformanceCase) async throws {
        try await RabbitMQTestBus.requireBroker()
        if let failure = await ConformanceSuite.runAndReport(testCase, on: Self.backend) {
            Issue.record(Comment(rawValue: failure))
        }
    }
}

/// The conformance suite on classic group queues (`queue_type=classic`), which count redeliveries only through
/// the library (quorum queues count them in `x-delivery-count`).
@Suite(
    "Conformance: rabbitmq-classic",
    .enabled(if: IntegrationGate.isEnabled, IntegrationGate.skipComment),
    .timeLimit(.minutes(5))
)
struct RabbitMQClassicConformanceTests {
    static let backend = ConformanceBackend(name: "rabbitmq-classic", quietPeriod: .milliseconds(500)) { configuration in
        try await RabbitMQTestBus.open(configuration, query: "queue_type=classic", label: "conformance.rabbitmq-classic")
    }

    init() {
        ConformanceTraceInstrument.bootstrap()
    }

    @Test(arguments: ConformanceSuite.cases)
    func conformance(_ testCase: ConformanceCase) async throws {
        try await RabbitMQTestBus.requireBroker()
        if let failure = await ConformanceSuite.runAndReport(testCase, on: Self.backend) {
            Issue.record(Comment(rawValue: failure))
        }
    }
}
