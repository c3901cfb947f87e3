/// Which message ids a subscription has handed out and not yet settled, and the other copies of those messages that
/// arrived meanwhile: the half of effectively-once that the ``DeduplicationStore`` cannot do, because the store
/// learns an id only when its delivery is settled.
///
/// Without it, two copies of one message that arrive before the first is settled (in one batch, or while the
/// application works on the first) both reach the application. A second copy is held instead, still unsettled at
/// the broker: when the first copy is settled for good the held ones are acknowledged and dropped; when it is
/// given back (requeue, retry, or its connection was lost) one held copy is released to be handed out in its place.
/// Holding rather than dropping at once is what keeps a message when the copy that was handed out never completes.
///
/// A value type, so that its rules are tested without a broker; ``SubscriptionContext`` keeps it under a lock.
/// `Copy` is a class so that a copy is known by identity: a late or repeated settlement of a copy that no longer
/// holds its id changes nothing.
struct InFlightCopies<Copy: AnyObject> {
    private struct Entry {
        var holder: ObjectIdentifier
        var held: [Copy] = []
    }

    private var entries: [String: Entry] = [:]
    private var released: [Copy] = []
    /// How many copies are held or released and not yet taken back, so that the subscription knows to look for
    /// released ones while it waits for the broker.
    private(set) var waitingCount = 0

    /// Whether `copy`, of the message with id `key`, may be handed out now: `true` when no other copy of it is in
    /// flight (it now is); `false` when one is (this copy is held until that one is settled).
    mutating func admit(_ copy: Copy, key: String) -> Bool {
        if self.entries[key] == nil {
            self.entries[key] = Entry(holder: ObjectIdentifier(copy))
            return true
        }
        self.entries[key]!.held.append(copy)
        self.waitingCount += 1
        return false
    }

    /// Records that `copy` was settled: for good (`settledForGood`, its message is done) or given back to be
    /// delivered again. Returns the held copies to acknowledge and drop; after a give-back they are released
    /// instead, one to be handed out in place of the copy given back. Changes nothing when `copy` does not hold its
    /// id (a held copy acknowledged as a duplicate, or a copy settled twice).
    mutating func settled(_ copy: Copy, key: String, forGood settledForGood: Bool) -> [Copy] {
        guard let entry = self.entries[key], entry.holder == ObjectIdentifier(copy) else { return [] }
        self.entries[key] = nil
        if settledForGood {
            self.waitingCount -= entry.held.count
            return entry.held
        }
        self.released += entry.held
        return []
    }

    /// Takes up to `max` of the copies released, oldest first, to be admitted again.
    mutating func takeReleased(max: Int) -> [Copy] {
        guard !self.released.isEmpty else { return [] }
        let taken = Array(self.released.prefix(max))
        self.released.removeFirst(taken.count)
        self.waitingCount -= taken.count
        return taken
    }
}
