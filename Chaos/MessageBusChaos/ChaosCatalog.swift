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
        let restart = NodeRestartScenario(settings: settings)
        scenarios.append(ChaosScenario(name: restart.name) { await restart.run($0) })
        let mock = MockBrokerFaultScenario(settings: settings)
        scenarios.append(ChaosScenario(name: mock.name) { await mock.run($0) })
        for backend in ChaosBackend.allCases {
            let kill = ConsumerKillScenario(backend: backend, kills: settings.consumerKills, messages: settings.killMessages)
            scenarios.append(ChaosScenario(name: kill.name) { await kill.run($0) })
        }
        for backend in ChaosBackend.allCases {
            let count = backend == .kafka ? settings.kafkaSubscriptions : settings.subscriptions
            let churn = SubscriptionChurnScenario(backend: backend, count: count)
            scenarios.append(ChaosScenario(name: churn.name) { await churn.run($0) })
        }
        for backend in ChaosBackend.allCases {
            let slow = SlowConsumerScenario(backend: backend, duration: settings.sustainedLoad)
            scenarios.append(ChaosScenario(name: slow.name) { await slow.run($0) })
        }
        return scenarios
    }
}
