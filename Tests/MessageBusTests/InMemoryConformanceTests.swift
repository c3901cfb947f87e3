import Logging
import MessageBus
import MessageBusConformance
import Testing

/// The conformance suite on the in-memory backend: every case must pass, or be unsupported with a reason.
@Suite("Conformance: memory")
struct InMemoryConformanceTests {
    static let backend = ConformanceBackend(name: "memory", quietPeriod: .milliseconds(150)) { configuration in
        try InMemoryMessageBus(
            brokerName: "conformance", configuration: configuration, logger: Logger(label: "conformance.memory"))
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
