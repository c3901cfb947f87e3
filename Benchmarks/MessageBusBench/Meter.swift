/// The measured window of one client's work: from its first message to its last for a consumer (so group joins
/// and rebalances, which every client pays alike, do not dilute the comparison), from the first publish to the
/// last confirmation for a publisher.
struct Meter: Sendable {
    private var start: ResourceUsage?
    private var end: ResourceUsage?

    /// Marks the start; only the first call counts, so a consumer can call it for every message.
    mutating func begin() {
        if self.start == nil { self.start = .now() }
    }

    mutating func finish() {
        self.end = .now()
    }

    /// What the window cost, for `messages` messages (peak memory is added by the case runner).
    func result(messages: Int) throws -> CaseResult {
        guard let start, let end else {
            throw BenchError("the measurement of \(messages) messages was never started or finished")
        }
        return CaseResult(
            messages: messages, elapsed: end.instant - start.instant, cpu: end.cpu - start.cpu,
            voluntarySwitches: end.voluntarySwitches - start.voluntarySwitches, peakRSSBytes: nil)
    }
}
