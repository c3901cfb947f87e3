/// One throughput case (the same work done by each client) and the best outcome of each client over the rounds.
struct ThroughputCase: Sendable {
    let backend: String
    let name: String
    /// The throughput target relative to raw C: 0.95 for the Kafka send fast path, 0.9 elsewhere.
    let throughputTarget: Double
    private(set) var outcomes: [BenchClient: CaseOutcome] = [:]

    init(backend: String, name: String, throughputTarget: Double = 0.9) {
        self.backend = backend
        self.name = name
        self.throughputTarget = throughputTarget
    }

    /// Records a round's outcome for `client`, keeping the better one.
    mutating func record(_ client: BenchClient, _ outcome: CaseOutcome) {
        self.outcomes[client] = self.outcomes[client].map { $0.best(outcome) } ?? outcome
    }

    func result(_ client: BenchClient) -> CaseResult? {
        self.outcomes[client]?.result
    }

    /// One round: `setup` creates the round's destinations and fills them (its failure fails the round's row of
    /// every client), then each client measures in turn, then `cleanup` runs whatever happened.
    mutating func round(
        clients: [BenchClient] = BenchClient.standard, setup: () async throws -> Void, cleanup: () async -> Void,
        measure: (BenchClient) async -> CaseOutcome
    ) async {
        do {
            try await setup()
            for client in clients { self.record(client, await measure(client)) }
        } catch {
            for client in clients { self.record(client, .failed("setup: \(error)")) }
        }
        await cleanup()
    }
}
