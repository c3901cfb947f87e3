import Logging
import MessageBus
import MessageBusConformance
import MessageBusKafka
import Testing

/// The conformance suite, unchanged, on librdkafka's in-process mock cluster (`kafka-mock://`): no broker needed.
@Suite("Conformance: kafka-mock", .timeLimit(.minutes(10)))
struct KafkaMockConformanceTests {
    static let backend = ConformanceBackend(
        name: "kafka-mock", receiveTimeout: .seconds(30), quietPeriod: .seconds(1), caseTimeout: .seconds(240)
    ) { configuration in
        try await KafkaBusFactory.mockBus("conformance", configuration: configuration)
    }

    init() {
        ConformanceTraceInstrument.bootstrap()
    }

    @Test(arguments: ConformanceSuite.cases)
    func conformance(_ testCase: ConformanceCase) async {
        if let failure = await ConformanceSuite.runAndReport(testCase, on: Self.backend) {
            Issue.record(Comment(rawValue: failure))
        }
    }
}
