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
        if let failure = await ConformanceSuite.runAndReport(testCase, on: Self.backend) {
            Issue.record(Comment(rawValue: failure))
        }
    }
}
