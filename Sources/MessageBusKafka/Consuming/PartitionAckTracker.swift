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
    private(set) var nextAfterDelivered: Int64?
    /// The offset last reported as committable.
    private(set) var lastCommittable: Int64?
    /// How many delivered offsets are not yet acknowledged.
    private(set) var outstandingCount = 0

    init() {}

    /// Records that `offset` was handed out. Offsets arrive in ascending order within a partition.
    mutating func delivered(_ offset: Int64) {
        self.window.append((offset, false))
        self.outstandingCount += 1
        // Before any acknowledgement the first delivered offset is where the group already stands.
        if self.lastCommittable == nil { self.lastCommittable = offset }
        self.nextAfterDelivered = max(self.nextAfterDelivered ?? offset + 1, offset + 1)
    }

    /// Records that `offsets` were handed out, in ascending order.
    mutating func delivered(_ offsets: some Sequence<Int64>) {
        for offset in offsets { self.delivered(offset) }
    }

    /// Marks `offset` acknowledged.
    ///
    /// - Returns: the new committable offset when it advanced, `nil` otherwise.
    mutating func acknowledge(_ offset: Int64) -> Int64? {
        self.acknowledgeOutstanding(offset).committable
    }

    /// Marks `offset` acknowledged.
    ///
    /// - Returns: whether `offset` was outstanding (delivered and not yet acknowledged), and the new committable
    ///   offset when it advanced.
    mutating func acknowledgeOutstanding(_ offset: Int64) -> (wasOutstanding: Bool, committable: Int64?) {
        guard let index = self.index(of: offset) else { return (false, nil) }
        self.window[index].acked = true
        self.outstandingCount -= 1
        while self.start < self.window.count, self.window[self.start].acked { self.start += 1 }
        if self.start > 64, self.start * 2 > self.window.count {
            self.window.removeFirst(self.start)
            self.start = 0
        }
        let committable = self.start < self.window.count ? self.window[self.start].offset : self.nextAfterDelivered
        guard let committable, committable != self.lastCommittable else { return (true, nil) }
        self.lastCommittable = committable
        return (true, committable)
    }

    /// Whether `offset` was handed out and is not yet acknowledged.
    func isOutstanding(_ offset: Int64) -> Bool {
        self.index(of: offset) != nil
    }

    /// The window is sorted by offset, and offsets are mostly consecutive (gaps only where compaction or
    /// transaction markers left them): the guess from the first offset is checked first, then a binary search.
    private func index(of offset: Int64) -> Int? {
        guard self.start < self.window.count else { return nil }
        let guess = self.start &+ Int(truncatingIfNeeded: offset &- self.window[self.start].offset)
        if guess >= self.start, guess < self.window.count, self.window[guess].offset == offset {
            return self.window[guess].acked ? nil : guess
        }
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
