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
        let result = await ConformanceSuite.run(testCase, on: Self.backend)
        ConformanceReport.record(backend: Self.backend.name, testCase: testCase, result: result)
        if case .failed(let reason) = result {
            Issue.record("\(testCase.name): \(reason)")
        }
    }
}
