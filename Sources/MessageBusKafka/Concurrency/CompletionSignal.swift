import Synchronization

/// A one-shot signal: tasks wait until it is fired, once, with a result; waiting after it fired returns at once.
///
/// Used where a dedicated thread finishes something (a consumer's first assignment, a thread's exit) that async
/// code awaits without blocking a cooperative thread.
final class CompletionSignal<Value: Sendable>: Sendable {
    private struct State {
        var result: Result<Value, any Error>?
        var waiters: [UInt64: CheckedContinuation<Value?, any Error>] = [:]
        var nextWaiter: UInt64 = 0
    }

    private let state = Mutex(State())

    init() {}

    /// Fires the signal; only the first call counts.
    func fire(_ result: Result<Value, any Error>) {
        let waiters: [CheckedContinuation<Value?, any Error>] = self.state.withLock { state in
            guard state.result == nil else { return [] }
            state.result = result
            defer { state.waiters.removeAll() }
            return Array(state.waiters.values)
        }
        for waiter in waiters { waiter.resume(with: result.map { Optional($0) }) }
    }

    /// Whether the signal has fired.
    var hasFired: Bool { self.state.withLock { $0.result != nil } }

    /// Waits until the signal fires and returns (or throws) its result.
    func wait() async throws -> Value {
        while true {
            if let value = try await self.wait(timeout: .seconds(3600)) { return value }
        }
    }

    /// Waits until the signal fires or `timeout` passes; `nil` on timeout.
    func wait(timeout: Duration) async throws -> Value? {
        try await withCheckedThrowingContinuation { continuation in
            let (result, id): (Result<Value, any Error>?, UInt64) = self.state.withLock { state in
                if let result = state.result { return (result, 0) }
                state.nextWaiter += 1
                state.waiters[state.nextWaiter] = continuation
                return (nil, state.nextWaiter)
            }
            if let result {
                continuation.resume(with: result.map { Optional($0) })
                return
            }
            Task {
                try? await Task.sleep(for: timeout)
                let expired = self.state.withLock { $0.waiters.removeValue(forKey: id) }
                expired?.resume(returning: nil)
            }
        }
    }
}
