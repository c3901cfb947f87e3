import Synchronization

/// Set by a latency consumer when its first message (a warm-up) arrives, so that the timed messages start only
/// once the consumer is assigned and fetching: group joins must not count as latency.
final class ReadySignal: Sendable {
    private let flag = Atomic<Bool>(false)

    func set() {
        self.flag.store(true, ordering: .releasing)
    }

    var isSet: Bool {
        self.flag.load(ordering: .acquiring)
    }
}
