/// One scenario of the table.
struct ChaosScenario: Sendable {
    var name: String
    var run: @Sendable (ChaosEnvironment) async -> ChaosRow
}

/// Every scenario, in the order the table lists them.
enum ChaosCatalog {
    static func scenarios(_ settings: ChaosSettings) -> [ChaosScenario] {
        var scenarios: [ChaosScenario] = []
        for backend in ChaosBackend.allCases {
            for fault in ProxyFaultScenario.Fault.allCases {
                let scenario = ProxyFaultScenario(backend: backend, fault: fault, settings: settings)
                scenarios.append(ChaosScenario(name: scenario.name) { await scenario.run($0) })
            }
        }
        return scenarios
    }
}
