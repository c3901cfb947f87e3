import MessageBus
import Synchronization

/// Lets one task at a time run a critical section that awaits (one Kafka transaction at a time per producer);
/// the others wait in order without blocking a thread, and a waiter whose task is cancelled leaves the line at once.
final class AsyncExclusion: Sendable {
    private struct State {
        var isHeld = false
        var waiters = AsyncWaiters<Void>()
    }

    private let state = Mutex(State())

    init() {}

    /// Runs `body` once no other task is inside.
    ///
    /// - Throws: `CancellationError` when the task is cancelled while it waits for its turn (`body` does not run),
    ///   and what `body` throws.
    func run<Result: Sendable>(_ body: () async throws -> Result) async throws -> Result {
        try await AsyncWaiters.wait { id, continuation in
            let now: Swift.Result<Void, any Error>? = self.state.withLock { state in
                guard state.isHeld else {
                    state.isHeld = true
                    return .success(())
                }
                return state.waiters.park(id, continuation)
            }
            if let now { continuation.resume(with: now) }
        } unpark: { id in
            self.state.withLock { $0.waiters.remove(id) }
        }
        defer {
            // The turn passes straight to the next waiter (the section stays held), or the section is freed.
            let next = self.state.withLock { state -> AsyncWaiters<Void>.Continuation? in
                guard let next = state.waiters.removeFirst() else {
                    state.isHeld = false
                    return nil
                }
                return next
            }
            next?.resume()
        }
        return try await body()
    }
}
