import Synchronization

/// An in-process broker shared by every ``InMemoryMessageBus`` opened with the same name.
///
/// It owns an ``InMemoryBrokerState`` under a lock and the continuations of subscribers waiting for deliveries;
/// waiters are resumed outside the lock.
final class InMemoryBroker: Sendable {
    typealias ConsumerID = InMemoryBrokerState.ConsumerID

    private struct Waiter {
        var id: UInt64
        var continuation: CheckedContinuation<Void, Never>
    }

    private struct Locked {
        var state: InMemoryBrokerState
        var waiters: [ConsumerID: [Waiter]] = [:]
        var nextWaiterID: UInt64 = 1
        var nextOwnerID: InMemoryBrokerState.OwnerID = 1
    }

    /// The broker's name, from `memory://NAME`.
    let name: String
    private let locked: Mutex<Locked>

    init(name: String, retention: Int) {
        self.name = name
        self.locked = Mutex(Locked(state: InMemoryBrokerState(retention: retention)))
    }

    func makeOwnerID() -> InMemoryBrokerState.OwnerID {
        self.locked.withLock { locked in
            defer { locked.nextOwnerID += 1 }
            return locked.nextOwnerID
        }
    }

    /// Runs `body` on the state and resumes the waiters of every consumer it woke (or ended).
    func mutate<Result, Failure: Error>(
        _ body: (inout InMemoryBrokerState) throws(Failure) -> (Result, InMemoryBrokerState.Effects)
    ) throws(Failure) -> Result {
        let (result, toResume, delayed) = try self.locked.withLock { (locked) throws(Failure) in
            let (result, effects) = try body(&locked.state)
            var toResume: [CheckedContinuation<Void, Never>] = []
            for id in effects.woken {
                if let waiters = locked.waiters.removeValue(forKey: id) {
                    toResume.append(contentsOf: waiters.map(\.continuation))
                }
            }
            return (result, toResume, effects.delayed)
        }
        for continuation in toResume { continuation.resume() }
        for entries in delayed { self.returnAfterDelay(entries) }
        return result
    }

    /// Waits out a retry's delay off the lock (a timer, as a broker's retry queue), then gives the entries back.
    private func returnAfterDelay(_ delayed: InMemoryBrokerState.Delayed) {
        Task {
            try? await Task.sleep(for: delayed.delay)
            self.mutate { state in ((), state.returnDelayed(delayed)) }
        }
    }

    /// Ends a consumer's subscription and wakes its waiters so they see it ended.
    func unsubscribe(_ id: ConsumerID) {
        // In the same step as the removal: a waiter registering in between would otherwise never be woken.
        self.mutate { state in
            var effects = state.unsubscribe(id)
            effects.woken.insert(id)
            return ((), effects)
        }
    }

    /// Hands out up to `max` deliveries, waiting for the first up to `timeout`.
    ///
    /// - Returns: the handouts, empty on timeout or cancellation, `nil` when the consumer no longer exists.
    func receive(consumer id: ConsumerID, max: Int, timeout: Duration?) async -> [InMemoryBrokerState.Handout]? {
        let deadline = timeout.map { ContinuousClock.now.advanced(by: $0) }
        while true {
            let taken: [InMemoryBrokerState.Handout]? = self.mutate { state in
                guard state.isSubscribed(id) else { return (nil, .init()) }
                let (handouts, effects) = state.receive(consumer: id, max: max)
                return (handouts, effects)
            }
            guard let taken else { return nil }
            if !taken.isEmpty { return taken }
            if Task.isCancelled { return [] }
            if let deadline, ContinuousClock.now >= deadline { return [] }
            await self.waitForDeliveries(consumer: id, until: deadline)
        }
    }

    /// Suspends until the consumer may have deliveries, ended, the deadline passed or the task was cancelled.
    private func waitForDeliveries(consumer id: ConsumerID, until deadline: ContinuousClock.Instant?) async {
        let waiterID = self.locked.withLock { locked in
            defer { locked.nextWaiterID += 1 }
            return locked.nextWaiterID
        }
        let timer = deadline.map { deadline in
            Task { [weak self] in
                try? await Task.sleep(until: deadline, clock: .continuous)
                self?.wake(consumer: id, waiter: waiterID)
            }
        }
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let resumeNow = self.locked.withLock { locked in
                    // The deadline is looked at here too: the timer may have fired before this waiter was
                    // registered, finding nothing to wake.
                    if locked.state.hasPending(id) || !locked.state.isSubscribed(id) || Task.isCancelled
                        || deadline.map({ ContinuousClock.now >= $0 }) ?? false
                    {
                        return true
                    }
                    locked.waiters[id, default: []].append(Waiter(id: waiterID, continuation: continuation))
                    return false
                }
                if resumeNow { continuation.resume() }
            }
        } onCancel: {
            self.wake(consumer: id, waiter: waiterID)
        }
        timer?.cancel()
    }

    private func wake(consumer id: ConsumerID, waiter waiterID: UInt64) {
        let continuation = self.locked.withLock { locked -> CheckedContinuation<Void, Never>? in
            guard let index = locked.waiters[id]?.firstIndex(where: { $0.id == waiterID }) else { return nil }
            return locked.waiters[id]!.remove(at: index).continuation
        }
        continuation?.resume()
    }

    func lag(of id: ConsumerID) -> Int {
        self.locked.withLock { $0.state.lag(of: id) }
    }

    func unsettledCount(_ id: ConsumerID) -> Int {
        self.locked.withLock { $0.state.unsettledCount(id) }
    }
}
