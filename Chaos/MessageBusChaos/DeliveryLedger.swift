import Synchronization

/// What one scenario published, had confirmed and consumed, by message sequence number, and when service came back
/// after a fault: the figures of one row of the chaos table.
final class DeliveryLedger: Sendable {
    private struct State {
        var nextSequence = 0
        var confirmed = Set<Int>()
        var failedPublishes = 0
        var lastPublishError: String?
        var deliveries: [Int: Int] = [:]
        var foreignDeliveries = 0
        /// The first sequence number published after the fault ended, and when it ended.
        var recoveryMark: (sequence: Int, at: ContinuousClock.Instant)?
        var firstConfirmAfterMark: ContinuousClock.Instant?
        var firstConsumeAfterMark: ContinuousClock.Instant?
    }

    /// The prefix of every message id of this run; deliveries with another prefix are counted as foreign.
    let prefix: String
    private let state = Mutex(State())

    init(prefix: String) {
        self.prefix = prefix
    }

    /// Reserves `count` sequence numbers for a batch about to be published.
    func reserve(_ count: Int) -> Range<Int> {
        self.state.withLock { state in
            defer { state.nextSequence += count }
            return state.nextSequence..<state.nextSequence + count
        }
    }

    /// The message id of sequence number `sequence`.
    func id(_ sequence: Int) -> String { "\(self.prefix)-\(sequence)" }

    /// The sequence number in a message id of this run, or `nil` for another id.
    func sequence(of id: String) -> Int? {
        guard id.hasPrefix(self.prefix + "-") else { return nil }
        return Int(id.dropFirst(self.prefix.count + 1))
    }

    func confirmed(_ batch: Range<Int>) {
        let now = ContinuousClock.now
        self.state.withLock { state in
            state.confirmed.formUnion(batch)
            if let mark = state.recoveryMark, batch.lowerBound >= mark.sequence, state.firstConfirmAfterMark == nil {
                state.firstConfirmAfterMark = now
            }
        }
    }

    func publishFailed(_ batch: Range<Int>, _ error: any Error) {
        self.state.withLock { state in
            state.failedPublishes += batch.count
            state.lastPublishError = "\(error)"
        }
    }

    /// Counts deliveries by their message ids.
    func consumed(ids: some Sequence<String>) {
        let now = ContinuousClock.now
        let sequences = ids.map { self.sequence(of: $0) }
        self.state.withLock { state in
            for sequence in sequences {
                guard let sequence else {
                    state.foreignDeliveries += 1
                    continue
                }
                state.deliveries[sequence, default: 0] += 1
                if let mark = state.recoveryMark, sequence >= mark.sequence, state.firstConsumeAfterMark == nil {
                    state.firstConsumeAfterMark = now
                }
            }
        }
    }

    /// Notes that the fault has ended: recovery is the time from now until a message published from now on is
    /// confirmed and one is consumed.
    func faultEnded() {
        let now = ContinuousClock.now
        self.state.withLock { state in
            state.recoveryMark = (state.nextSequence, now)
            state.firstConfirmAfterMark = nil
            state.firstConsumeAfterMark = nil
        }
    }

    /// The time from ``faultEnded()`` until publishing and consuming both worked again, or `nil` while they do not.
    var recovery: Duration? {
        self.state.withLock { state in
            guard let mark = state.recoveryMark, let confirm = state.firstConfirmAfterMark,
                let consume = state.firstConsumeAfterMark
            else { return nil }
            return max(confirm, consume) - mark.at
        }
    }

    /// Confirmed messages not consumed yet.
    var missing: Int {
        self.state.withLock { state in state.confirmed.count { state.deliveries[$0] == nil } }
    }

    /// Whether `ids` contain every confirmed message.
    func isConsumedCompletely(by ids: Set<String>) -> Bool {
        let confirmed = self.state.withLock { $0.confirmed }
        return confirmed.allSatisfy { ids.contains(self.id($0)) }
    }

    /// How many distinct messages of this run were consumed.
    var consumedCount: Int { self.state.withLock { $0.deliveries.count } }

    /// The figures so far, as a row of the table.
    func row(_ scenario: String, recovery: Duration?, notes: [String] = [], failure: String? = nil) -> ChaosRow {
        self.state.withLock { state in
            var notes = notes
            if state.failedPublishes > 0 {
                notes.append("\(state.failedPublishes) publishes failed (not confirmed): \(state.lastPublishError ?? "")")
            }
            if state.foreignDeliveries > 0 { notes.append("\(state.foreignDeliveries) foreign deliveries") }
            return ChaosRow(
                scenario: scenario, published: state.nextSequence, confirmed: state.confirmed.count,
                consumed: state.deliveries.count,
                duplicates: state.deliveries.values.reduce(0) { $0 + max(0, $1 - 1) },
                lost: state.confirmed.count { state.deliveries[$0] == nil }, recovery: recovery, notes: notes,
                failure: failure)
        }
    }
}
