import Foundation

/// The conformance suite: the cases every backend must pass, unchanged, to be a ``MessageBus``.
///
/// Run it from your own tests against your own configuration:
///
/// ```swift
/// let backend = ConformanceBackend(name: "kafka") { configuration in
///     try await MessageBusConnector.connect(to: url, configuration: configuration, backends: [.kafka], logger: logger)
/// }
/// for testCase in ConformanceSuite.cases {
///     let result = await ConformanceSuite.run(testCase, on: backend)
///     // .passed, .failed(reason) or .unsupported(reason)
/// }
/// ```
public enum ConformanceSuite {
    /// Every case, in a stable order.
    public static var cases: [ConformanceCase] {
        MessagePropertyCases.all + GroupCases.all + SettlementCases.all + GuaranteeCases.all + LifecycleCases.all
            + ConvenienceCases.all + RedeliveryCases.all
    }

    /// Runs `testCase` on `backend`, closing every bus it opened, within the backend's case timeout.
    public static func run(_ testCase: ConformanceCase, on backend: ConformanceBackend) async -> ConformanceResult {
        let context = ConformanceContext(backend: backend, caseName: testCase.name)
        let result = await withTaskGroup(of: ConformanceResult?.self) { group in
            group.addTask {
                do {
                    try await testCase.body(context)
                    return .passed
                } catch let unsupported as ConformanceUnsupported {
                    return .unsupported(unsupported.description)
                } catch let failure as ConformanceFailure {
                    return .failed(failure.description)
                } catch {
                    return .failed("threw \(String(reflecting: error))")
                }
            }
            group.addTask {
                try? await Task.sleep(for: backend.caseTimeout)
                return Task.isCancelled ? nil : .failed("did not finish within \(backend.caseTimeout)")
            }
            let first = await group.next() ?? nil
            group.cancelAll()
            return first ?? .failed("was cancelled")
        }
        await context.closeAll()
        return result
    }

    /// Runs `testCase` on `backend`, records the result for `make test`'s summary (``ConformanceReport``), and
    /// returns the failure to report, or `nil` when the case passed or is unsupported.
    public static func runAndReport(_ testCase: ConformanceCase, on backend: ConformanceBackend) async -> String? {
        let result = await self.run(testCase, on: backend)
        ConformanceReport.record(backend: backend.name, testCase: testCase, result: result)
        guard case .failed(let reason) = result else { return nil }
        return "\(testCase.name): \(reason)"
    }
}
