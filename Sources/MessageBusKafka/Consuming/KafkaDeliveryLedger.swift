/// How many times the records of one partition above its committed offset were handed to the group before, kept in
/// the committed offset's metadata so that ``MessageBus/Delivery/attempt`` counts the redeliveries Kafka itself does
/// not count: a record read again after a cancel, a rebalance or a crash.
///
/// Kafka remembers a group's position, not its deliveries: without this, a record handed out, left unsettled and
/// read again by the next member would start over at attempt 1, and a message that kills its consumer would never
/// run out of attempts. The ledger is a list of offset ranges with the number of earlier deliveries of each,
/// written as `mb1:<last offset>:<deliveries>,…` (ascending) with every commit of the partition, and read back when
/// the partition is assigned. A value type without I/O: the consumer thread owns one per assigned partition.
struct KafkaDeliveryLedger: Equatable {
    /// A range of offsets up to `last` (from the previous range's `last + 1`), each handed out `deliveries` times.
    struct Range: Equatable {
        var last: Int64
        var deliveries: Int
    }

    /// The ranges read at assignment (or at the last seek): what earlier members handed out.
    private(set) var history: [Range]
    /// The highest offset handed out since then; -1 before the first.
    private(set) var handedOutThrough: Int64 = -1

    /// At most this many ranges are kept; past it the oldest two merge, counting the fewer deliveries (a record is
    /// never given more attempts than it had, so it never runs out of attempts early).
    static let maxRanges = 16
    private static let prefix = "mb1:"

    /// The ledger of a partition whose committed metadata is `metadata` (anything else than a ledger reads as
    /// none), with nothing below `committed` (the next offset the group reads).
    init(metadata: String?, committed: Int64?) {
        self.history = Self.parse(metadata) ?? []
        if let committed { self.history.removeAll { $0.last < committed } }
    }

    /// A ledger without history (a partition the group never read).
    init() {
        self.history = []
    }

    /// Whether offsets at or below the history's end may have earlier deliveries.
    var hasHistory: Bool { !self.history.isEmpty }

    /// How many times the record at `offset` was handed out before this assignment.
    func earlierDeliveries(of offset: Int64) -> Int {
        self.history.first { offset <= $0.last }?.deliveries ?? 0
    }

    /// Records that every record up to `offset` has now been handed out (offsets arrive in ascending order).
    mutating func handedOut(through offset: Int64) {
        self.handedOutThrough = max(self.handedOutThrough, offset)
    }

    /// Records that the records from `offset` on were not handed to the application after all (polled into the
    /// buffer, then dropped with a revoke or a close): they must not count as delivered.
    mutating func notHandedOut(from offset: Int64) {
        self.handedOutThrough = min(self.handedOutThrough, offset - 1)
    }

    /// The ranges as they stand now: the history with one more delivery for what was handed out again, then what
    /// was handed out for the first time, nothing below `committed`.
    func ranges(committed: Int64?) -> [Range] {
        var ranges: [Range] = []
        var start = Int64.min
        for range in self.history {
            if self.handedOutThrough >= range.last {
                ranges.append(Range(last: range.last, deliveries: range.deliveries + 1))
            } else if self.handedOutThrough >= start {
                ranges.append(Range(last: self.handedOutThrough, deliveries: range.deliveries + 1))
                ranges.append(range)
            } else {
                ranges.append(range)
            }
            start = range.last + 1
        }
        if self.handedOutThrough >= start {
            ranges.append(Range(last: self.handedOutThrough, deliveries: 1))
        }
        if let committed { ranges.removeAll { $0.last < committed } }
        var merged: [Range] = []
        for range in ranges {
            if let previous = merged.last, previous.deliveries == range.deliveries {
                merged[merged.count - 1].last = range.last
            } else {
                merged.append(range)
            }
        }
        while merged.count > Self.maxRanges {
            let oldest = merged.removeFirst()
            merged[0].deliveries = min(merged[0].deliveries, oldest.deliveries)
        }
        return merged
    }

    /// The metadata to commit with offset `committed`; `nil` when there is nothing to remember.
    func metadata(committed: Int64?) -> String? {
        let ranges = self.ranges(committed: committed)
        guard !ranges.isEmpty else { return nil }
        return Self.prefix + ranges.map { "\($0.last):\($0.deliveries)" }.joined(separator: ",")
    }

    /// The ledger as it stands now, as the history of what follows (a seek reads records again in the same
    /// assignment).
    func rebased(committed: Int64?) -> KafkaDeliveryLedger {
        var ledger = KafkaDeliveryLedger()
        ledger.history = self.ranges(committed: committed)
        return ledger
    }

    private static func parse(_ metadata: String?) -> [Range]? {
        guard let metadata, metadata.hasPrefix(Self.prefix) else { return nil }
        var ranges: [Range] = []
        for part in metadata.dropFirst(Self.prefix.count).split(separator: ",") {
            let fields = part.split(separator: ":")
            guard fields.count == 2, let last = Int64(fields[0]), let deliveries = Int(fields[1]), deliveries > 0,
                last >= (ranges.last.map { $0.last + 1 } ?? 0), ranges.count < Self.maxRanges
            else { return nil }
            ranges.append(Range(last: last, deliveries: deliveries))
        }
        return ranges
    }
}
