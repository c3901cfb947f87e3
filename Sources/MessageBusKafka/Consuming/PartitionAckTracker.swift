/// Tracks the deliveries of one partition that are handed out and not yet acknowledged, and says which offset may
/// be committed: the lowest offset not yet acknowledged (everything below it is done), or one past the highest
/// delivered offset when nothing is outstanding.
///
/// Acknowledgements arrive in any order; committing never skips an unacknowledged record, so a restart redelivers
/// it (and, at-least-once, possibly some acknowledged records after it).
struct PartitionAckTracker: Sendable {
    /// Outstanding offsets in delivery order (ascending), each with whether it has been acknowledged.
    private var window: [(offset: Int64, acked: Bool)] = []
    /// Where the window starts in `window` (the acknowledged prefix is dropped lazily, in bulk).
    private var start = 0
    /// One past the highest offset delivered so far; `nil` before the first delivery.
    private var nextAfterDelivered: Int64?
    /// The offset last reported as committable.
    private(set) var lastCommittable: Int64?

    init() {}

    /// Records that `offset` was handed out. Offsets arrive in ascending order within a partition.
    mutating func delivered(_ offset: Int64) {
        self.window.append((offset, false))
        // Before any acknowledgement the first delivered offset is where the group already stands.
        if self.lastCommittable == nil { self.lastCommittable = offset }
        self.nextAfterDelivered = max(self.nextAfterDelivered ?? offset + 1, offset + 1)
    }

    /// Marks `offset` acknowledged.
    ///
    /// - Returns: the new committable offset when it advanced, `nil` otherwise.
    mutating func acknowledge(_ offset: Int64) -> Int64? {
        guard let index = self.index(of: offset) else { return nil }
        self.window[index].acked = true
        while self.start < self.window.count, self.window[self.start].acked { self.start += 1 }
        if self.start > 64, self.start * 2 > self.window.count {
            self.window.removeFirst(self.start)
            self.start = 0
        }
        let committable = self.start < self.window.count ? self.window[self.start].offset : self.nextAfterDelivered
        guard let committable, committable != self.lastCommittable else { return nil }
        self.lastCommittable = committable
        return committable
    }

    /// How many delivered offsets are not yet acknowledged.
    var outstandingCount: Int { self.window[self.start...].reduce(0) { $0 + ($1.acked ? 0 : 1) } }

    /// Binary search: the window is sorted by offset.
    private func index(of offset: Int64) -> Int? {
        var low = self.start
        var high = self.window.count - 1
        while low <= high {
            let middle = (low + high) / 2
            let value = self.window[middle].offset
            if value == offset { return self.window[middle].acked ? nil : middle }
            if value < offset { low = middle + 1 } else { high = middle - 1 }
        }
        return nil
    }
}
