import Synchronization

/// A one-shot signal: tasks wait until it is fired, once, with a result; waiting after it fired returns at once.
///
/// Used where a dedicated thread finishes something (a consumer's first assignment, a thread's exit) that async
/// code awaits without blocking a cooperative thread.
final class CompletionSignal<Value: Sendable>: Sendable {
    private struct State {
        var result: Result<Value, any Error>?
        var waiters: [UInt64: (continuation: CheckedContinuation<Value?, any Error>, timer: Task<Void, Never>?)] = [:]
        var nextWaiter: UInt64 = 0
    }

    private let state = Mutex(State())

    init() {}

    /// Fires the signal; only the first call counts.
    func fire(_ result: Result<Value, any Error>) {
        typealias Waiter = (continuation: CheckedContinuation<Value?, any Error>, timer: Task<Void, Never>?)
        let waiters: [Waiter] = self.state.withLock { state in
            guard state.result == nil else { return [] }
            state.result = result
            defer { state.waiters.removeAll() }
            return Array(state.waiters.values)
        }
        for waiter in waiters {
            waiter.timer?.cancel()
            waiter.continuation.resume(with: result.map { Optional($0) })
        }
    }

    /// Whether the signal has fired.
    var hasFired: Bool { self.state.withLock { $0.result != nil } }

    /// Waits until the signal fires or `timeout` passes; `nil` on timeout.
    func wait(timeout: Duration) async throws -> Value? {
        try await withCheckedThrowingContinuation { continuation in
            let id: UInt64? = self.state.withLock { state in
                guard state.result == nil else { return nil }
                state.nextWaiter += 1
                return state.nextWaiter
            }
            guard let id else {
                if let result = self.state.withLock({ $0.result }) { continuation.resume(with: result.map { Optional($0) }) }
                return
            }
            let timer = Task {
                try? await Task.sleep(for: timeout)
                guard !Task.isCancelled else { return }
                let expired = self.state.withLock { $0.waiters.removeValue(forKey: id) }
                expired?.continuation.resume(returning: nil)
            }
            let result: Result<Value, any Error>? = self.state.withLock { state in
                if let result = state.result { return result }
                state.waiters[id] = (continuation, timer)
                return nil
            }
            if let result {
                timer.cancel()
                continuation.resume(with: result.map { Optional($0) })
            }
        }
    }
}
