import MessageBusIntegrationSupport
import Logging
import MessageBus
import MessageBusConformance
import MessageBusKafka
import Testing

/// The conformance suite, unchanged, on the real Kafka-protocol broker at MESSAGEBUS_KAFKA_BROKERS.
///
/// Timeouts are generous: a consumer group join takes seconds, and Tansu holds fetches for fetch.wait.max.ms.
/// A broker that does not answer fails every case with the address and how to start it.
@Suite(
    "Conformance: kafka",
    .enabled(if: IntegrationGate.isEnabled, IntegrationGate.skipComment),
    .timeLimit(.minutes(10))
)
struct KafkaConformanceTests {
    static let backend = ConformanceBackend(
        name: "kafka", receiveTimeout: .seconds(30), quietPeriod: .seconds(2), caseTimeout: .seconds(240)
    ) { configuration in
        try await KafkaBusFactory.realBus(configuration)
    }

    init() {
        ConformanceTraceInstrument.bootstrap()
    }

    /// Set on brokers that implement transaction isolation (Apache Kafka, as the hosted CI workflow runs): the
    /// exactly-once case must then run for real instead of being reported unsupported.
    static let requiresExactlyOnce = IntegrationEnvironment.value(of: "MESSAGEBUS_REQUIRE_EXACTLY_ONCE", default: "") == "1"

    @Test(
        "the broker isolates aborted transactions (MESSAGEBUS_REQUIRE_EXACTLY_ONCE=1)",
        .enabled(if: requiresExactlyOnce, "only on brokers that implement isolation, such as Apache Kafka"))
    func brokerIsolatesTransactions() async throws {
        try await KafkaBusFactory.requireRealBroker()
        let bus = try await KafkaBusFactory.realBus()
        let isolation = try await (bus as? KafkaMessageBus)?.checkTransactionIsolation()
        try await bus.close()
        #expect(isolation == .isolated, "exactly-once would be unsupported here: \(String(describing: isolation))")
    }

    @Test(arguments: ConformanceSuite.cases)
    func conformance(_ testCase: ConformanceCase) async throws {
        try await KafkaBusFactory.requireRealBroker()
        if let failure = await ConformanceSuite.runAndReport(testCase, on: Self.backend) {
            Issue.record(Comment(rawValue: failure))
        }
    }
}
