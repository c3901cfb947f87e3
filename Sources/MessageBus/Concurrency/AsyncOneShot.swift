import Synchronization

/// A result produced once (by a dedicated thread, a connection's owner thread, a callback) and awaited by any
/// number of tasks, which may start waiting before or after it is produced.
///
/// A waiting task that is cancelled throws `CancellationError` at once and leaves no continuation behind; the
/// result, when it comes later, goes to the other waiters (or to none). Producing it twice keeps the first.
package final class AsyncOneShot<Value: Sendable>: Sendable {
    private struct State {
        var result: Result<Value, any Error>?
        var waiters = AsyncWaiters<Value>()
    }

    /// What a timed-out waiter is resumed with internally.
    private struct Expired: Error {}

    private let state = Mutex(State())

    /// A one-shot without a result yet.
    package init() {}

    /// Produces the result and resumes every waiter; only the first call counts.
    ///
    /// - Returns: `true` when this call produced the result.
    @discardableResult
    package func fulfill(_ result: Result<Value, any Error>) -> Bool {
        let waiters: AsyncWaiters<Value>? = self.state.withLock { state in
            guard state.result == nil else { return nil }
            state.result = result
            return state.waiters.removeAll()
        }
        waiters?.resumeAll(with: result)
        return waiters != nil
    }

    /// Produces the result with a typed failure; see ``fulfill(_:)``.
    @discardableResult
    package func fulfill<Failure: Error>(_ result: Result<Value, Failure>) -> Bool {
        self.fulfill(result.mapError { $0 as any Error })
    }

    /// Whether the result has been produced.
    package var isFulfilled: Bool { self.state.withLock { $0.result != nil } }

    /// The result, waiting for it.
    ///
    /// - Throws: the failure it was fulfilled with, or `CancellationError` when the task is cancelled first.
    package var value: Value {
        get async throws {
            try await AsyncWaiters.wait { id, continuation in
                let now = self.state.withLock { state in state.result ?? state.waiters.park(id, continuation) }
                if let now { continuation.resume(with: now) }
            } unpark: { id in
                self.state.withLock { $0.waiters.remove(id) }
            }
        }
    }

    /// The result, waiting for it up to `timeout`; `nil` when the timeout passed first.
    ///
    /// - Throws: the failure it was fulfilled with, or `CancellationError` when the task is cancelled first.
    package func value(timeout: Duration) async throws -> Value? {
        if let result = self.state.withLock({ $0.result }) { return try result.get() }
        // The timer is a task of its own, started once the waiter is parked and cancelled as soon as it ends.
        let timer = Mutex<Task<Void, Never>?>(nil)
        defer { timer.withLock { $0 }?.cancel() }
        do {
            return try await AsyncWaiters.wait { id, continuation in
                let now = self.state.withLock { state in state.result ?? state.waiters.park(id, continuation) }
                if let now {
                    continuation.resume(with: now)
                    return
                }
                let expiry = Task {
                    try? await Task.sleep(for: timeout)
                    guard !Task.isCancelled else { return }
                    self.state.withLock { $0.waiters.remove(id) }?.resume(throwing: Expired())
                }
                timer.withLock { $0 = expiry }
            } unpark: { id in
                self.state.withLock { $0.waiters.remove(id) }
            }
        } catch is Expired {
            return nil
        }
    }
}
