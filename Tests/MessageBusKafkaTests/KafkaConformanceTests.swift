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
        name: "kafka", receiveTimeout: .seconds(30), quietPeriod: .seconds(2), caseTimeout: .seconds(240),
        lacks: { feature in await KafkaBrokerProbes.shared.lacks(feature) }
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

/// What the broker under test lacks, found by the backend's probes once per run.
actor KafkaBrokerProbes {
    static let shared = KafkaBrokerProbes()
    private var commitMetadata: Result<Bool, any Error>?

    func lacks(_ feature: ConformanceBrokerFeature) async -> String? {
        switch feature {
        case .groupPositionMetadata:
            if self.commitMetadata == nil {
                do {
                    let bus = try await KafkaBusFactory.realBus()
                    let kept = try await (bus as? KafkaMessageBus)?.checkCommitMetadata()
                    try await bus.close()
                    self.commitMetadata = .success(kept ?? false)
                } catch {
                    self.commitMetadata = .failure(error)
                }
            }
            switch self.commitMetadata {
            case .success(true): return nil
            case .success(false):
                return "the broker drops offset commit metadata (checkCommitMetadata() is false; Tansu 0.6 does), "
                    + "where the Kafka backend counts redeliveries to another member"
            case .failure(let error): return "the commit metadata probe failed: \(error)"
            case nil: return nil
            }
        }
    }
}
