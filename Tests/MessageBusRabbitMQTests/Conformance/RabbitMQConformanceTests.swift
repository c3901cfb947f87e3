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
