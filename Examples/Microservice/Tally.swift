import Synchronization

/// A counter services update while they run and `main` reads after the group stopped.
final class Tally: Sendable {
    private let value = Mutex(0)

    /// The count so far.
    var count: Int { self.value.withLock { $0 } }

    /// Adds one.
    func increment() {
        self.value.withLock { $0 += 1 }
    }
}
