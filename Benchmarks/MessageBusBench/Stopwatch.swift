/// Measures the interval between two marks, for consumption timed from the first message to the last.
struct Stopwatch {
    private var started: ContinuousClock.Instant?
    private var stopped: ContinuousClock.Instant?

    mutating func markFirst() {
        if self.started == nil { self.started = .now }
    }

    mutating func markLast() {
        self.stopped = .now
    }

    var elapsed: Duration {
        guard let started, let stopped else { return .zero }
        return stopped - started
    }

    /// Times `body` from start to end.
    static func time(_ body: () async throws -> Void) async rethrows -> Duration {
        let start = ContinuousClock.now
        try await body()
        return ContinuousClock.now - start
    }
}

/// The best (shortest) duration of several rounds.
func best(_ durations: [Duration]) -> Duration {
    durations.min() ?? .zero
}
