import MessageBus
import Synchronization

/// The bounded buffer between a connection's owner thread and one subscription's receivers.
///
/// The owner thread appends what the broker delivered (never more than the prefetch, which `basic.qos` enforces);
/// receivers take batches. It also remembers the handed-out deliveries by their ``MessageBus/Delivery/tag`` (a
/// number never reused) so that settling one that belongs to a lost connection is refused rather than acked with
/// a stale AMQP tag.
final class RabbitMQInbox: Sendable {
    /// Where a handed-out delivery came from.
    struct HandedOut: Sendable {
        let amqpTag: UInt64
        let generation: Int
    }

    private struct State {
        var buffer = FIFO<InboundDelivery>()
        var handedOut: [UInt64: HandedOut] = [:]
        var nextTag: UInt64 = 1
        var waiters: [Waiter] = []
        var isEnded = false
        var endError: MessageBusError?
    }

    private let state = Mutex(State())
    /// Whether handed-out deliveries must be settled (everything but at-most-once).
    let tracksSettlement: Bool

    /// The owner thread's wake-up schedule, which times out waiting receivers.
    private let schedule: OwnerWakeSchedule
    /// Receivers waiting with a deadline, readable without the lock: the owner looks at every inbox on every
    /// turn of its loop, and must not contend for the lock of one that has none.
    private let timedWaiters = Atomic(0)

    init(tracksSettlement: Bool, schedule: OwnerWakeSchedule) {
        self.tracksSettlement = tracksSettlement
        self.schedule = schedule
    }

    // MARK: Owner thread side

    /// Adds deliveries and wakes the receivers.
    func append(_ deliveries: [InboundDelivery]) {
        guard !deliveries.isEmpty else { return }
        let waiters = self.state.withLock { state -> [Waiter] in
            guard !state.isEnded else { return [] }
            state.buffer.append(contentsOf: deliveries)
            defer { state.waiters.removeAll() }
            return state.waiters
        }
        for waiter in waiters { waiter.wake() }
    }

    /// Forgets everything of a lost connection: buffered deliveries (the broker requeues them) and handed-out ones
    /// (settling them now throws ``MessageBus/MessageBusError/Code/alreadySettled``).
    func connectionLost() {
        self.state.withLock { state in
            _ = state.buffer.removeAll()
            state.handedOut.removeAll()
        }
    }

    /// Ends the subscription: receivers drain nothing more and then see the end (or `error`).
    func end(error: MessageBusError? = nil) {
        let waiters = self.state.withLock { state -> [Waiter] in
            guard !state.isEnded else { return [] }
            state.isEnded = true
            state.endError = error
            _ = state.buffer.removeAll()
            state.handedOut.removeAll()
            defer { state.waiters.removeAll() }
            return state.waiters
        }
        for waiter in waiters { waiter.wake() }
    }

    var isEnded: Bool { self.state.withLock { $0.isEnded } }

    // MARK: Receiver side

    /// Takes up to `max` deliveries, giving each a fresh tag; `nil` once ended, empty when nothing is buffered.
    func take(max: Int) throws -> [(tag: UInt64, delivery: InboundDelivery)]? {
        try self.state.withLock { state in
            if state.isEnded {
                if let error = state.endError { throw error }
                return nil
            }
            var taken: [(UInt64, InboundDelivery)] = []
            while taken.count < max, let next = state.buffer.popFirst() {
                let tag = state.nextTag
                state.nextTag += 1
                if self.tracksSettlement {
                    state.handedOut[tag] = HandedOut(amqpTag: next.amqpTag, generation: next.generation)
                }
                taken.append((tag, next))
            }
            return taken
        }
    }

    /// Hands out one delivery directly, bypassing the buffer (a `basic.get` result); `nil` once ended.
    func handOut(_ delivery: InboundDelivery) -> UInt64? {
        self.state.withLock { state in
            guard !state.isEnded else { return nil }
            let tag = state.nextTag
            state.nextTag += 1
            if self.tracksSettlement {
                state.handedOut[tag] = HandedOut(amqpTag: delivery.amqpTag, generation: delivery.generation)
            }
            return tag
        }
    }

    /// Waits until deliveries arrive, the subscription ends, `timeout` passes or the task is cancelled.
    ///
    /// The owner thread wakes a waiter whose deadline passed (see ``expireWaiters(now:)``), so a wait costs no
    /// timer task; the schedule wakes the owner early when this deadline comes before its own next wake-up.
    func waitForDeliveries(timeout: Duration?) async {
        let waiter = Waiter(deadline: timeout.map { ContinuousClock.now + $0 })
        let mustWait = self.state.withLock { state in
            guard state.buffer.isEmpty && !state.isEnded else { return false }
            state.waiters.append(waiter)
            return true
        }
        guard mustWait else { return }
        if let deadline = waiter.deadline {
            // Counted before the owner is asked to wake, so the look it takes then finds this waiter.
            self.timedWaiters.add(1, ordering: .sequentiallyConsistent)
            self.schedule.ensureWake(by: deadline)
        }
        await withTaskCancellationHandler {
            await waiter.park()
        } onCancel: {
            waiter.wake()
        }
        self.state.withLock { state in state.waiters.removeAll { $0 === waiter } }
        if waiter.deadline != nil { self.timedWaiters.subtract(1, ordering: .sequentiallyConsistent) }
    }

    /// Wakes the waiters whose deadline passed (owner thread); returns the earliest deadline still pending.
    func expireWaiters(now: ContinuousClock.Instant) -> ContinuousClock.Instant? {
        guard self.timedWaiters.load(ordering: .sequentiallyConsistent) > 0 else { return nil }
        let (expired, earliest) = self.state.withLock { state -> ([Waiter], ContinuousClock.Instant?) in
            guard !state.waiters.isEmpty else { return ([], nil) }
            var expired: [Waiter] = []
            var earliest: ContinuousClock.Instant?
            state.waiters.removeAll { waiter in
                guard let deadline = waiter.deadline else { return false }
                if deadline <= now {
                    expired.append(waiter)
                    return true
                }
                earliest = min(earliest ?? deadline, deadline)
                return false
            }
            return (expired, earliest)
        }
        for waiter in expired { waiter.wake() }
        return earliest
    }

    /// Removes the deliveries with `tags` from the handed-out set; returns where the known ones came from and the
    /// tags that are unknown (their connection was lost or their subscription ended).
    func claim(_ tags: [UInt64]) -> (found: [HandedOut], unknown: [UInt64]) {
        self.state.withLock { state in
            var found: [HandedOut] = []
            var unknown: [UInt64] = []
            for tag in tags {
                if let handedOut = state.handedOut.removeValue(forKey: tag) {
                    found.append(handedOut)
                } else {
                    unknown.append(tag)
                }
            }
            return (found, unknown)
        }
    }

    /// Buffered plus handed-out and unsettled deliveries.
    var unsettledCount: Int {
        self.state.withLock { $0.buffer.count + $0.handedOut.count }
    }
}
