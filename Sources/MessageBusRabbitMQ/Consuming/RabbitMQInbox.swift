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
        let channelEpoch: Int
    }

    private struct State {
        var buffer = FIFO<InboundDelivery>()
        var handedOut: [UInt64: HandedOut] = [:]
        var nextTag: UInt64 = 1
        var waiters: [Waiter] = []
        var isEnded = false
        var endError: MessageBusError?
        /// Deliveries settled since the owner thread last sent settlements of this subscription.
        var settledSinceFlush = 0
    }

    private let state = Mutex(State())
    /// Whether handed-out deliveries must be settled (everything but at-most-once).
    let tracksSettlement: Bool
    /// How many settled deliveries may wait for the owner thread before it is woken to send them (a quarter of
    /// the prefetch, so the broker's window refills in steps while the application works on the rest).
    let settleBatch: Int

    /// Creates an inbox.
    ///
    /// - Parameters:
    ///   - tracksSettlement: Whether handed-out deliveries must be settled.
    ///   - prefetch: The subscription's prefetch; 1 makes every settlement wake the owner thread.
    init(tracksSettlement: Bool, prefetch: Int = 1) {
        self.tracksSettlement = tracksSettlement
        self.settleBatch = max(1, prefetch / 4)
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
    ///
    /// - Returns: The lowest stream offset among the buffered deliveries dropped, so that a stream consumer resumes
    ///   there (a stream gives nothing back by itself); `nil` when none came from a stream.
    @discardableResult
    func connectionLost() -> Int64? {
        self.state.withLock { state in
            let dropped = state.buffer.removeAll()
            state.handedOut.removeAll()
            return dropped.compactMap(\.streamOffset).min()
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
                    state.handedOut[tag] = HandedOut(amqpTag: next.amqpTag, channelEpoch: next.channelEpoch)
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
                state.handedOut[tag] = HandedOut(amqpTag: delivery.amqpTag, channelEpoch: delivery.channelEpoch)
            }
            return tag
        }
    }

    /// Waits until deliveries arrive, the subscription ends, `timeout` passes or the task is cancelled.
    func waitForDeliveries(timeout: Duration?) async {
        let waiter = Waiter()
        let mustWait = self.state.withLock { state in
            guard state.buffer.isEmpty && !state.isEnded else { return false }
            state.waiters.append(waiter)
            return true
        }
        guard mustWait else { return }
        // The receiver parks in its own task; only a timeout needs a second one, a timer that wakes it (cancelled
        // as soon as deliveries or the end wake it first). The owner thread cannot be the timer: it may block for
        // seconds in a connect or a request.
        let timer = timeout.map { timeout in
            Task {
                try? await Task.sleep(for: timeout)
                waiter.wake()
            }
        }
        await withTaskCancellationHandler {
            await waiter.park()
        } onCancel: {
            waiter.wake()
        }
        timer?.cancel()
        self.state.withLock { state in state.waiters.removeAll { $0 === waiter } }
    }

    /// What ``claim(_:)`` found.
    struct Claim {
        /// Where the known deliveries came from.
        var found: [HandedOut] = []
        /// The tags that are unknown (their connection was lost or their subscription ended).
        var unknown: [UInt64] = []
        /// Whether the owner thread must send the settlements now rather than with its next batch of work: the
        /// application holds no other delivery of this subscription (so nothing else it does will be waiting to
        /// go with them), or a ``settleBatch`` of them is waiting.
        var mustFlush = false
    }

    /// Removes the deliveries with `tags` from the handed-out set.
    func claim(_ tags: [UInt64]) -> Claim {
        self.state.withLock { state in
            var claim = Claim()
            claim.found.reserveCapacity(tags.count)
            for tag in tags {
                if let handedOut = state.handedOut.removeValue(forKey: tag) {
                    claim.found.append(handedOut)
                } else {
                    claim.unknown.append(tag)
                }
            }
            state.settledSinceFlush += claim.found.count
            claim.mustFlush = state.handedOut.isEmpty || state.settledSinceFlush >= self.settleBatch
            if claim.mustFlush { state.settledSinceFlush = 0 }
            return claim
        }
    }

    /// Those of `tags` that are unknown, claiming none: checked before a settlement that publishes a copy first
    /// (a retry, a dead letter), so that nothing is published for a delivery the broker gives to the group again.
    func unknownTags(_ tags: [UInt64]) -> [UInt64] {
        self.state.withLock { state in tags.filter { state.handedOut[$0] == nil } }
    }

    /// The owner thread sent this subscription's settlements: the count towards the next wake-up starts again.
    func settlementsSent() {
        self.state.withLock { $0.settledSinceFlush = 0 }
    }

    /// Buffered plus handed-out and unsettled deliveries.
    var unsettledCount: Int {
        self.state.withLock { $0.buffer.count + $0.handedOut.count }
    }
}
