/// The ``KafkaDeliveryLedger`` of every assigned partition, and what the consumer thread needs to commit them:
/// the offset each partition last committed (or stored for commit), and which ledgers changed since. A value type
/// without I/O, owned by the consumer thread.
struct KafkaDeliveryLedgers {
    private var ledgers: [KafkaTopicPartition: KafkaDeliveryLedger] = [:]
    /// The offset to commit a ledger with: the last one stored for commit, or the committed one at assignment, or
    /// (for a partition the group never committed) the first offset handed out.
    private var offsets: [KafkaTopicPartition: Int64] = [:]
    /// Partitions whose ledger changed since it was last committed.
    private(set) var changed: Set<KafkaTopicPartition> = []
    /// Partitions whose ledger has earlier deliveries not yet passed: only their records are looked up.
    private var withHistory: Set<KafkaTopicPartition> = []

    /// Starts the ledger of an assigned partition from its committed offset and metadata.
    mutating func assigned(_ partition: KafkaTopicPartition, committed: Int64?, metadata: String?) {
        let ledger = KafkaDeliveryLedger(metadata: metadata, committed: committed)
        self.ledgers[partition] = ledger
        self.offsets[partition] = committed
        self.changed.remove(partition)
        if ledger.hasHistory { self.withHistory.insert(partition) } else { self.withHistory.remove(partition) }
    }

    /// Forgets a partition that moved to another member.
    mutating func revoked(_ partition: KafkaTopicPartition) {
        self.ledgers[partition] = nil
        self.offsets[partition] = nil
        self.changed.remove(partition)
        self.withHistory.remove(partition)
    }

    /// How many times the record at `offset` of `partition` was handed out before: what its attempt adds.
    func earlierDeliveries(of offset: Int64, in partition: KafkaTopicPartition) -> Int {
        guard !self.withHistory.isEmpty, self.withHistory.contains(partition) else { return 0 }
        return self.ledgers[partition]?.earlierDeliveries(of: offset) ?? 0
    }

    /// Records that `partition` handed out records from `first` through `last`.
    mutating func handedOut(_ partition: KafkaTopicPartition, from first: Int64, through last: Int64) {
        var ledger = self.ledgers.removeValue(forKey: partition) ?? KafkaDeliveryLedger()
        ledger.handedOut(through: last)
        if self.offsets[partition] == nil { self.offsets[partition] = first }
        if let end = ledger.history.last?.last, last >= end { self.withHistory.remove(partition) }
        self.ledgers[partition] = ledger
        self.changed.insert(partition)
    }

    /// Records that `partition`'s records from `offset` on were dropped from the buffer, never handed out.
    mutating func notHandedOut(_ partition: KafkaTopicPartition, from offset: Int64) {
        guard self.ledgers[partition] != nil else { return }
        self.ledgers[partition]?.notHandedOut(from: offset)
        self.changed.insert(partition)
    }

    /// Notes that `offset` was stored for commit for `partition`, and returns the metadata to store with it.
    mutating func stored(_ offset: Int64, for partition: KafkaTopicPartition) -> String? {
        self.offsets[partition] = offset
        self.changed.remove(partition)
        return self.ledgers[partition]?.metadata(committed: offset)
    }

    /// What to commit for `partitions` (all that changed when `nil`): offset and metadata of each partition with
    /// an offset to commit it with; they count as committed.
    mutating func toCommit(_ partitions: [KafkaTopicPartition]? = nil) -> [(KafkaTopicPartition, Int64, String?)] {
        var commits: [(KafkaTopicPartition, Int64, String?)] = []
        for partition in partitions ?? Array(self.changed) {
            guard let offset = self.offsets[partition], let ledger = self.ledgers[partition] else { continue }
            commits.append((partition, offset, ledger.metadata(committed: offset)))
            self.changed.remove(partition)
        }
        return commits
    }

    /// After a seek of `partition`: what was handed out becomes history, since the records after the new position
    /// are read again.
    mutating func seeked(_ partition: KafkaTopicPartition) {
        guard let ledger = self.ledgers[partition] else { return }
        let rebased = ledger.rebased(committed: self.offsets[partition])
        self.ledgers[partition] = rebased
        if rebased.hasHistory { self.withHistory.insert(partition) }
        self.changed.insert(partition)
    }
}
