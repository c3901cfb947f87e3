import MessageBus

/// The mutable state of one Kafka subscription, kept under its lock.
struct KafkaSubscriptionState {
    /// An assigned partition's acknowledgement bookkeeping.
    struct Partition {
        var tracker = PartitionAckTracker()
        /// The highest delivery tag issued before the partition was assigned. Tags only grow, so a delivery with a
        /// tag at or below it came from an earlier assignment: settling it commits nothing (its partition moved,
        /// or was seeked, since), and it no longer counts against the prefetch. This replaces a per-delivery
        /// table of what is outstanding.
        var tagFloor: UInt64
        /// The committable offset acknowledgements reached and the consumer thread has not yet stored with
        /// librdkafka: stores are batched there rather than made by every acknowledging task.
        var unstored: Int64?

        /// Acknowledges `deliveries`, all of this partition, skipping those from an earlier assignment.
        ///
        /// - Returns: how many were outstanding, the committable offset when it advanced, and the tags of the
        ///   deliveries that were not outstanding in this assignment (they can no longer be settled).
        mutating func acknowledge(
            _ deliveries: some Sequence<Delivery>
        ) -> (acknowledged: Int, committable: Int64?, notOutstanding: [UInt64]) {
            var acknowledged = 0
            var committable: Int64?
            var notOutstanding: [UInt64] = []
            for delivery in deliveries {
                guard delivery.tag > self.tagFloor, let offset = delivery.position?.offset else {
                    notOutstanding.append(delivery.tag)
                    continue
                }
                let result = self.tracker.acknowledgeOutstanding(offset)
                if result.wasOutstanding { acknowledged += 1 } else { notOutstanding.append(delivery.tag) }
                if let advanced = result.committable { committable = advanced }
            }
            return (acknowledged, committable, notOutstanding)
        }

        /// Whether `delivery` was handed out in this assignment and is not yet acknowledged.
        func isOutstanding(_ delivery: Delivery) -> Bool {
            guard delivery.tag > self.tagFloor, let offset = delivery.position?.offset else { return false }
            return self.tracker.isOutstanding(offset)
        }

        /// ``acknowledge(_:)``, keeping the committable offset that advanced as ``unstored``.
        ///
        /// - Returns: how many were outstanding, whether the partition now has an unstored offset it did not have
        ///   before, and the tags of the deliveries that were not outstanding.
        mutating func acknowledgeForStore(
            _ deliveries: some Sequence<Delivery>
        ) -> (acknowledged: Int, newlyUnstored: Bool, notOutstanding: [UInt64]) {
            let result = self.acknowledge(deliveries)
            guard let committable = result.committable else {
                return (result.acknowledged, false, result.notOutstanding)
            }
            defer { self.unstored = committable }
            return (result.acknowledged, self.unstored == nil, result.notOutstanding)
        }
    }

    /// A task waiting in `receive`.
    struct Waiter {
        var id: UInt64
        var max: Int
        var continuation: CheckedContinuation<[KafkaPendingDelivery]?, Never>
        /// Ends the wait with nothing when the receive timeout passes; cancelled once the waiter is served.
        var timer: Task<Void, Never>?
    }

    /// Polled and not yet handed out, in poll order.
    var buffer: [KafkaPendingDelivery] = []
    /// Where `buffer` starts (consumed prefixes are dropped lazily, in bulk: see ``take(_:)``).
    var bufferStart = 0
    /// Handed out and unsettled (only when the guarantee needs acknowledgements).
    var outstandingCount = 0
    /// The assigned partitions (only when the guarantee needs acknowledgements); changed through ``assign(_:tagFloor:)``
    /// and ``revoke(_:)``.
    private(set) var partitions: [KafkaTopicPartition: Partition] = [:]
    /// Where in ``partitions`` the last acknowledged delivery's partition is, by the delivery's context and
    /// partition number (for deliveries whose position names no other topic): a consume loop acknowledges run
    /// after run from one partition, and the cached index saves hashing the key and comparing topic names for each.
    /// Cleared whenever ``partitions`` gains or loses an entry, which invalidates its indices.
    private var lastAcknowledged: (context: SubscriptionContext, partition: Int32, index: [KafkaTopicPartition: Partition].Index)?
    var waiters: [Waiter] = []
    var nextWaiterID: UInt64 = 0
    /// The partitions whose ``Partition/unstored`` offset is set, in the order they got it.
    var partitionsToStore: [KafkaTopicPartition] = []
    var isClosed = false
    /// The lowest offset per partition that a close dropped from the buffer unhanded, for the revoke that follows.
    var droppedOnClose: [KafkaTopicPartition: Int64] = [:]
    var failure: MessageBusError?

    /// Buffered deliveries not yet handed out.
    var bufferedCount: Int { self.buffer.count - self.bufferStart }

    /// Takes up to `max` buffered deliveries.
    mutating func take(_ max: Int) -> [KafkaPendingDelivery] {
        if self.bufferStart == 0, self.buffer.count <= max {
            // The whole buffer (usually one hand-off): moved out, no delivery copied.
            defer { self.buffer = [] }
            return self.buffer
        }
        let end = min(self.buffer.count, self.bufferStart + max)
        let taken = Array(self.buffer[self.bufferStart..<end])
        self.bufferStart = end
        if self.bufferStart == self.buffer.count {
            self.buffer.removeAll(keepingCapacity: true)
            self.bufferStart = 0
        } else if self.bufferStart > 64, self.bufferStart * 2 > self.buffer.count {
            // A consumer taking a few deliveries at a time while the consumer thread keeps appending never empties
            // the buffer: the taken prefix, and the hand-off chunks it keeps alive, must go before it is most of it.
            self.buffer.removeFirst(self.bufferStart)
            self.bufferStart = 0
        }
        return taken
    }

    /// Buffers the deliveries of assigned partitions and records them as delivered in their trackers. Deliveries
    /// of a partition revoked while they were polled are dropped: they belong to another member now. So are
    /// records this assignment already delivered, which the client read again (a seek or a reassignment starts a
    /// new assignment, so only a re-read inside one lands here): handing them out again would duplicate them, and
    /// the tracker counts on ascending offsets.
    ///
    /// - Returns: Per partition, the offsets dropped as read again; empty as a rule.
    @discardableResult
    mutating func track(_ deliveries: [KafkaPendingDelivery]) -> [(KafkaTopicPartition, [Int64])] {
        var readAgain: [(KafkaTopicPartition, [Int64])] = []
        Self.forEachRun(of: deliveries, key: \.partition, sameRun: { $0.isOfSamePartition(as: $1) }) { key, run in
            // Read through the table, not from a copy of the entry held across the mutation below: that copy would
            // make the mutation copy the tracker's whole window.
            guard self.partitions[key] != nil else { return }
            var fresh = run
            if let (kept, dropped) = Self.readAgain(in: run, from: self.partitions[key]?.tracker.nextAfterDelivered) {
                fresh = kept[...]
                readAgain.append((key, dropped))
                guard !fresh.isEmpty else { return }
            }
            self.partitions[key]?.tracker.delivered(fresh.lazy.map(\.offset))
            if self.buffer.isEmpty, fresh.count == deliveries.count {
                self.buffer = deliveries  // the usual hand-off, one partition into an empty buffer: no copy
            } else {
                self.buffer.append(contentsOf: fresh)
            }
        }
        return readAgain
    }

    /// `nil` when the offsets of `run` rise strictly from `floor` on (the usual hand-off: one comparison per record,
    /// no copy); otherwise the records that do, and the offsets of the others, read again before this hand-off or
    /// within it.
    private static func readAgain(
        in run: ArraySlice<KafkaPendingDelivery>, from floor: Int64?
    ) -> (kept: [KafkaPendingDelivery], dropped: [Int64])? {
        var floor = floor ?? .min
        var split: (kept: [KafkaPendingDelivery], dropped: [Int64])?
        for index in run.indices {
            let offset = run[index].offset
            if offset >= floor {
                floor = offset + 1
                split?.kept.append(run[index])
            } else {
                // The first record out of order: what came before it is kept as it is.
                if split == nil { split = (Array(run[..<index]), []) }
                split?.dropped.append(offset)
            }
        }
        return split
    }

    /// Acknowledges `deliveries` in their partitions' trackers, those that belong to the current assignment and are
    /// still outstanding there; the committable offsets that advanced wait in their partitions for
    /// ``takeOffsetsToStore()``.
    ///
    /// - Returns: the tags of the others, which can no longer be settled: their partition was revoked (or seeked)
    ///   since they were handed out, or the subscription ended, and the group reads them again.
    mutating func acknowledge(_ deliveries: [Delivery]) -> [UInt64] {
        var notOutstanding: [UInt64] = []
        Self.forEachRun(of: deliveries, key: KafkaTopicPartition.init(of:), sameRun: Self.sameRun) { key, run in
            guard let index = self.partitions.index(forKey: key) else {
                notOutstanding.append(contentsOf: run.map(\.tag))
                return
            }
            notOutstanding.append(contentsOf: self.acknowledge(run, at: index))
        }
        return notOutstanding
    }

    /// ``acknowledge(_:)`` for one delivery: the common case of `ack()` in a consume loop, without an array.
    ///
    /// - Returns: whether the delivery was outstanding; `false` when it can no longer be settled.
    mutating func acknowledge(_ delivery: Delivery) -> Bool {
        guard let position = delivery.position, let partition = position.partition else { return false }
        if position.topic == nil, let cached = self.lastAcknowledged, cached.partition == partition,
            cached.context === delivery.context
        {
            return self.acknowledge(CollectionOfOne(delivery), at: cached.index).isEmpty
        }
        let key = KafkaTopicPartition(topic: position.topic ?? delivery.destination, partition: partition)
        guard let index = self.partitions.index(forKey: key) else { return false }
        if position.topic == nil { self.lastAcknowledged = (delivery.context, partition, index) }
        return self.acknowledge(CollectionOfOne(delivery), at: index).isEmpty
    }

    /// The tags of those of `deliveries` that ``acknowledge(_:)`` would refuse, without acknowledging any: checked
    /// before an outcome that publishes (a retry, a dead letter), so that nothing is published for them.
    func notOutstanding(_ deliveries: [Delivery]) -> [UInt64] {
        deliveries.compactMap { delivery in
            guard let key = KafkaTopicPartition(of: delivery), let partition = self.partitions[key],
                partition.isOutstanding(delivery)
            else { return delivery.tag }
            return nil
        }
    }

    /// Acknowledges `run` in the partition at `index`; returns the tags that were not outstanding.
    private mutating func acknowledge(
        _ run: some Sequence<Delivery>, at index: [KafkaTopicPartition: Partition].Index
    ) -> [UInt64] {
        // Mutated in place: copying the entry out would copy the tracker's whole window.
        let result = self.partitions.values[index].acknowledgeForStore(run)
        self.outstandingCount -= result.acknowledged
        if result.newlyUnstored { self.partitionsToStore.append(self.partitions.keys[index]) }
        return result.notOutstanding
    }

    /// Starts the bookkeeping of an assigned partition; deliveries tagged `tagFloor` or lower came from an earlier
    /// assignment.
    mutating func assign(_ partition: KafkaTopicPartition, tagFloor: UInt64) {
        self.lastAcknowledged = nil
        self.partitions[partition] = Partition(tagFloor: tagFloor)
    }

    /// The committable offsets acknowledged since the last call, per partition still assigned.
    mutating func takeOffsetsToStore() -> [(KafkaTopicPartition, Int64)] {
        guard !self.partitionsToStore.isEmpty else { return [] }
        var offsets: [(KafkaTopicPartition, Int64)] = []
        offsets.reserveCapacity(self.partitionsToStore.count)
        for key in self.partitionsToStore {
            guard let offset = self.partitions[key]?.unstored else { continue }
            self.partitions[key]?.unstored = nil
            offsets.append((key, offset))
        }
        self.partitionsToStore.removeAll(keepingCapacity: true)
        return offsets
    }

    /// Calls `body` for each run of consecutive deliveries from the same partition, so that the partition table is
    /// looked up (its key hashed and compared) once per run rather than once per delivery: polls and
    /// acknowledgements come in such runs.
    private static func forEachRun<Element>(
        of deliveries: [Element], key: (Element) -> KafkaTopicPartition?, sameRun: (Element, Element) -> Bool,
        _ body: (KafkaTopicPartition, ArraySlice<Element>) -> Void
    ) {
        var start = deliveries.startIndex
        while start < deliveries.endIndex {
            let first = deliveries[start]
            var end = start + 1
            while end < deliveries.endIndex, sameRun(deliveries[end], first) { end += 1 }
            if let key = key(first) {
                body(key, deliveries[start..<end])
            }
            start = end
        }
    }

    /// Whether two handed-out deliveries are of the same partition, compared without building their keys.
    private static func sameRun(_ one: Delivery, _ other: Delivery) -> Bool {
        one.position?.partition == other.position?.partition && one.context === other.context
            && one.position?.topic == other.position?.topic
    }

    /// The lowest buffered (polled, not yet handed out) offset of each partition with buffered deliveries.
    func lowestBufferedOffsets() -> [KafkaTopicPartition: Int64] {
        var lowest: [KafkaTopicPartition: Int64] = [:]
        for delivery in self.buffer[self.bufferStart...] {
            lowest[delivery.partition] = min(lowest[delivery.partition] ?? delivery.offset, delivery.offset)
        }
        return lowest
    }

    /// The tags among `notOutstanding` (see ``acknowledge(_:)``) that settling must refuse with `alreadySettled`:
    /// all of them once the subscription has ended, as on every backend. None while it goes on: their partition
    /// moved to another member in a rebalance, or was seeked, and the record is read again there. A rebalance is
    /// routine on Kafka, and a consume loop should not end with it; settling such a delivery has nothing left to do.
    func refused(_ notOutstanding: [UInt64]) -> [UInt64] {
        self.isClosed ? notOutstanding : []
    }

    /// Forgets every partition once the subscription has ended (closed, failed or crashed): what it handed out can
    /// no longer be settled, whether or not the consumer ran its revoke on the way out.
    mutating func endAssignment() {
        self.revoke(Set(self.partitions.keys))
    }

    /// Forgets `revoked` partitions: drops their buffered deliveries, and their handed-out ones stop counting
    /// against the prefetch (their records belong to another member, or another position, now).
    mutating func revoke(_ revoked: Set<KafkaTopicPartition>) {
        var unacknowledged = 0
        self.lastAcknowledged = nil
        for partition in revoked {
            if let entry = self.partitions.removeValue(forKey: partition) {
                unacknowledged += entry.tracker.outstandingCount
            }
        }
        let before = self.bufferedCount
        let kept = self.buffer[self.bufferStart...].filter { !revoked.contains($0.partition) }
        self.buffer = Array(kept)
        self.bufferStart = 0
        // A tracker counts its buffered deliveries as well as its handed-out ones; only the latter are outstanding.
        let droppedBuffered = before - self.buffer.count
        self.outstandingCount = max(0, self.outstandingCount - max(0, unacknowledged - droppedBuffered))
    }
}
