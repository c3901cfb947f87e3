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

    @Test(arguments: ConformanceSuite.cases)
    func conformance(_ testCase: ConformanceCase) async throws {
        try await KafkaBusFactory.requireRealBroker()
        if let failure = await ConformanceSuite.runAndReport(testCase, on: Self.backend) {
            Issue.record(Comment(rawValue: failure))
        }
    }
}
