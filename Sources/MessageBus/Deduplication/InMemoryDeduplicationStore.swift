import DequeModule
import Synchronization

/// A bounded, in-process ``DeduplicationStore`` that forgets the oldest ids first.
public final class InMemoryDeduplicationStore: DeduplicationStore {
    private struct State {
        var keys: Set<String> = []
        var order: Deque<String> = []
    }

    /// The most ids remembered at once.
    public let capacity: Int
    private let state = Mutex(State())

    /// Creates a store remembering at most `capacity` ids (at least 1).
    public init(capacity: Int) {
        self.capacity = max(1, capacity)
    }

    /// Whether `key` is remembered.
    public func contains(_ key: String) async -> Bool {
        self.state.withLock { $0.keys.contains(key) }
    }

    /// Remembers `key`, forgetting the oldest id when full.
    public func insert(_ key: String) async {
        self.state.withLock { state in
            guard state.keys.insert(key).inserted else { return }
            state.order.append(key)
            if state.order.count > self.capacity, let oldest = state.order.popFirst() {
                state.keys.remove(oldest)
            }
        }
    }

    /// How many ids are remembered.
    public var count: Int {
        self.state.withLock { $0.keys.count }
    }
}
