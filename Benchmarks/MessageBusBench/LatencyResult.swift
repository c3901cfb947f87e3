/// End-to-end latencies of one client's run, in nanoseconds.
struct LatencyResult: Sendable {
    private let sorted: [UInt64]

    init(samples: [UInt64]) {
        self.sorted = samples.sorted()
    }

    var count: Int { self.sorted.count }

    /// The `fraction` quantile (nearest rank), in microseconds.
    func percentile(_ fraction: Double) -> Double {
        guard !self.sorted.isEmpty else { return 0 }
        let rank = Int((fraction * Double(self.sorted.count)).rounded(.up)) - 1
        return Double(self.sorted[Swift.min(Swift.max(rank, 0), self.sorted.count - 1)]) / 1000
    }

    var p50: Double { self.percentile(0.50) }
    var p99: Double { self.percentile(0.99) }
    var max: Double { self.percentile(1.0) }
}

/// One latency case: MessageBus and raw C publishing at the same fixed rate to a consumer that acknowledges each.
struct LatencyCase: Sendable {
    let backend: String
    let name: String
    var outcomes: [BenchClient: Result<LatencyResult, BenchError>] = [:]

    init(backend: String, name: String) {
        self.backend = backend
        self.name = name
    }

    func result(_ client: BenchClient) -> LatencyResult? {
        guard case .success(let result) = self.outcomes[client] else { return nil }
        return result
    }

    /// Runs one client's latency run, turning an error into a failed row instead of ending the run.
    mutating func record(_ client: BenchClient, _ body: () async throws -> LatencyResult) async {
        do {
            self.outcomes[client] = .success(try await body())
        } catch {
            self.outcomes[client] = .failure(BenchError("\(error)"))
        }
    }
}
