import Synchronization

/// A flag a dedicated thread checks to know when to stop; a class so that the thread can hold it without holding
/// its owner.
final class StopFlag: Sendable {
    private let value = Atomic(false)

    init() {}

    /// Asks the thread to stop.
    func set() {
        self.value.store(true, ordering: .releasing)
    }

    /// Whether the thread was asked to stop.
    var isSet: Bool { self.value.load(ordering: .acquiring) }
}
