import Synchronization

/// When the owner thread will next wake up by itself, so that a receiver with an earlier deadline can wake it
/// sooner: the owner thread is the timer of every receive timeout on its connection (no timer task per wait).
final class OwnerWakeSchedule: Sendable {
    private let plannedWake = Mutex(ContinuousClock.now)
    let wakeup: Wakeup

    init(wakeup: Wakeup) {
        self.wakeup = wakeup
    }

    /// Records when the owner's `poll` returns at the latest (owner thread).
    func plan(_ instant: ContinuousClock.Instant) {
        self.plannedWake.withLock { $0 = instant }
    }

    /// Wakes the owner now if it would otherwise sleep past `deadline`.
    func ensureWake(by deadline: ContinuousClock.Instant) {
        if self.plannedWake.withLock({ deadline < $0 }) { self.wakeup.signal() }
    }
}
