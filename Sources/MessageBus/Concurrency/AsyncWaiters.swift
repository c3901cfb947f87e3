import Synchronization

/// The tasks parked on one event, for a type that keeps them under its own lock: each waiter has an id, so that a
/// cancelled task takes itself out (and throws `CancellationError`) while the others go on waiting.
///
/// One waiter, the common case on the publish and settle paths, is stored inline: parking and resuming it
/// allocates nothing. Waiters are resumed in the order they parked.
package struct AsyncWaiters<Value: Sendable>: Sendable {
    /// A parked task.
    package typealias Continuation = CheckedContinuation<Value, any Error>

    private var first: (id: UInt64, continuation: Continuation)?
    private var others: [(id: UInt64, continuation: Continuation)] = []

    /// No waiter.
    package init() {}

    /// Whether no task is parked.
    package var isEmpty: Bool { self.first == nil }

    /// Parks `continuation` as waiter `id`, unless the current task is already cancelled: then it is not parked
    /// and the result to resume it with is returned. Call it under the lock that ``remove(_:)`` takes, so that a
    /// cancellation is seen either here or by the cancellation handler, never by neither.
    package mutating func park(_ id: UInt64, _ continuation: Continuation) -> Result<Value, any Error>? {
        if Task.isCancelled { return .failure(CancellationError()) }
        if self.first == nil {
            self.first = (id, continuation)
        } else {
            self.others.append((id, continuation))
        }
        return nil
    }

    /// Takes waiter `id` out (its task was cancelled); `nil` when it was already resumed.
    package mutating func remove(_ id: UInt64) -> Continuation? {
        if let first = self.first, first.id == id {
            self.first = self.others.isEmpty ? nil : self.others.removeFirst()
            return first.continuation
        }
        guard let index = self.others.firstIndex(where: { $0.id == id }) else { return nil }
        return self.others.remove(at: index).continuation
    }

    /// Takes the waiter that parked first out.
    package mutating func removeFirst() -> Continuation? {
        guard let first = self.first else { return nil }
        self.first = self.others.isEmpty ? nil : self.others.removeFirst()
        return first.continuation
    }

    /// Takes every waiter out, to be resumed outside the lock with ``resumeAll(with:)``.
    package mutating func removeAll() -> AsyncWaiters<Value> {
        defer { self = AsyncWaiters() }
        return self
    }

    /// Resumes every waiter with `result`.
    package func resumeAll(with result: Result<Value, any Error>) {
        self.first?.continuation.resume(with: result)
        for waiter in self.others { waiter.continuation.resume(with: result) }
    }

    /// Suspends the current task until it is resumed, or throws `CancellationError` when it is cancelled first.
    ///
    /// - Parameters:
    ///   - park: Called once with a fresh waiter id and the continuation: resume it at once, or store it with
    ///     ``park(_:_:)`` (under the lock `unpark` takes).
    ///   - unpark: Called when the task is cancelled: takes waiter `id` out with ``remove(_:)`` and returns it, or
    ///     `nil` when it was already resumed. It is resumed with `CancellationError`.
    package static func wait(
        _ park: (_ id: UInt64, _ continuation: Continuation) -> Void,
        unpark: @Sendable (_ id: UInt64) -> Continuation?
    ) async throws -> Value {
        let id = WaiterIDs.next.add(1, ordering: .relaxed).newValue
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { continuation in park(id, continuation) }
        } onCancel: {
            unpark(id)?.resume(throwing: CancellationError())
        }
    }
}

/// The source of waiter ids: unique in the process, so a waiter never takes another's place.
private enum WaiterIDs {
    static let next = Atomic<UInt64>(0)
}
