import MessageBusIntegrationSupport
import Logging
import MessageBus
import MessageBusConformance
import MessageBusRabbitMQ
import Testing

/// The conformance suite, unchanged, on the real RabbitMQ at MESSAGEBUS_AMQP_URL, with quorum group queues (the
/// default, which count redeliveries in `x-delivery-count`) and with classic ones (`queue_type=classic`, which
/// count them only through the library): every case must pass, or be unsupported with a reason. A broker that
/// does not answer fails every case with a message naming the URL.
@Suite(
    "Conformance: rabbitmq",
    .enabled(if: IntegrationGate.isEnabled, IntegrationGate.skipComment),
    .timeLimit(.minutes(5))
)
struct RabbitMQConformanceTests {
    /// How long a case waits for what it expects. `make tsan` runs this suite under ThreadSanitizer too, where both
    /// backends' 74 cases share two cores with the broker at many times the cost: there the per-key handler case
    /// once got through 130 of its 180 messages in the usual 20 s (CI), on quorum and classic queues alike.
    static let receiveTimeout: Duration = ThreadSanitizer.isActive ? .seconds(60) : .seconds(20)

    static let backends = [
        ConformanceBackend(name: "rabbitmq", receiveTimeout: receiveTimeout, quietPeriod: .milliseconds(500)) {
            configuration in
            try await RabbitMQTestBus.open(configuration, label: "conformance.rabbitmq")
        },
        ConformanceBackend(name: "rabbitmq-classic", receiveTimeout: receiveTimeout, quietPeriod: .milliseconds(500)) {
            configuration in
            try await RabbitMQTestBus.open(configuration, query: "queue_type=classic", label: "conformance.rabbitmq-classic")
        },
    ]

    init() {
        ConformanceTraceInstrument.bootstrap()
    }

    @Test(arguments: Self.backends, ConformanceSuite.cases)
    func conformance(_ backend: ConformanceBackend, _ testCase: ConformanceCase) async throws {
        try await RabbitMQTestBus.requireBroker()
        if let failure = await ConformanceSuite.runAndReport(testCase, on: backend) {
            Issue.record(Comment(rawValue: "\(backend.name): \(failure)"))
        }
    }
}
