import MessageBus
import Synchronization

/// Waits for the delivery reports of one published batch and resumes its one waiting task once, when the last
/// report arrives: one continuation per batch, not per message, so the delivery-report path stays cheap.
///
/// The expected count starts one higher than the batch: that extra unit is held by the producing task until it
/// has handed every record to librdkafka (or given up), so reports that arrive while it still produces cannot
/// complete the batch early.
final class DeliveryReportBatch: Sendable {
    private struct State {
        var firstError: MessageBusError?
        var failures = 0
        var waiter = AsyncWaiters<Void>()
        var isFinished = false
    }

    private let state = Mutex(State())
    /// The reports still expected. Atomic, outside the lock: every report counts down, and only a failure or the
    /// last report takes the lock (taking it for each report cost as much as producing the record).
    private let remaining: Atomic<Int>

    /// Creates a batch expecting `count` delivery reports.
    init(count: Int) {
        self.remaining = Atomic(count + 1)
    }

    /// Counts `count` reports (or records that were never produced), keeping the first error.
    ///
    /// - Returns: `true` when this completed the batch.
    @discardableResult
    func complete(count: Int, error: MessageBusError?) -> Bool {
        if let error {
            // Recorded before counting down, so that whoever counts the last report sees it.
            self.state.withLock { state in
                state.failures += count
                if state.firstError == nil { state.firstError = error }
            }
        }
        guard self.remaining.subtract(count, ordering: .acquiringAndReleasing).newValue <= 0 else { return false }
        let (finished, waiter, result): (Bool, AsyncWaiters<Void>?, Result<Void, any Error>) =
            self.state.withLock { state in
                guard !state.isFinished else { return (false, nil, .success(())) }
                state.isFinished = true
                return (true, state.waiter.removeAll(), Self.result(of: state))
            }
        waiter?.resumeAll(with: result)
        return finished
    }

    /// Waits until every report has arrived; throws the first failure.
    ///
    /// - Throws: `CancellationError` when the task is cancelled first; the reports still complete the batch
    ///   (and release it) when they arrive.
    func wait() async throws {
        try await AsyncWaiters.wait { id, continuation in
            let done: Result<Void, any Error>? = self.state.withLock { state in
                guard state.isFinished else { return state.waiter.park(id, continuation) }
                return Self.result(of: state)
            }
            if let done { continuation.resume(with: done) }
        } unpark: { id in
            self.state.withLock { $0.waiter.remove(id) }
        }
    }

    private static func result(of state: State) -> Result<Void, any Error> {
        guard var error = state.firstError else { return .success(()) }
        if state.failures > 1 { error.message += " (\(state.failures) records of the batch failed)" }
        return .failure(error)
    }
}
