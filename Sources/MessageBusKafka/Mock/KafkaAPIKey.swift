/// A Kafka protocol request type, for injecting errors into ``KafkaMockCluster``'s answers.
public struct KafkaAPIKey: Sendable, Hashable, RawRepresentable {
    /// The protocol's API key number.
    public var rawValue: Int16

    /// Creates a key from its number.
    public init(rawValue: Int16) {
        self.rawValue = rawValue
    }

    /// Produce (0).
    public static let produce = KafkaAPIKey(rawValue: 0)
    /// Fetch (1).
    public static let fetch = KafkaAPIKey(rawValue: 1)
    /// ListOffsets (2).
    public static let listOffsets = KafkaAPIKey(rawValue: 2)
    /// Metadata (3).
    public static let metadata = KafkaAPIKey(rawValue: 3)
    /// OffsetCommit (8).
    public static let offsetCommit = KafkaAPIKey(rawValue: 8)
    /// OffsetFetch (9).
    public static let offsetFetch = KafkaAPIKey(rawValue: 9)
    /// FindCoordinator (10).
    public static let findCoordinator = KafkaAPIKey(rawValue: 10)
    /// JoinGroup (11).
    public static let joinGroup = KafkaAPIKey(rawValue: 11)
    /// Heartbeat (12).
    public static let heartbeat = KafkaAPIKey(rawValue: 12)
    /// SyncGroup (14).
    public static let syncGroup = KafkaAPIKey(rawValue: 14)
    /// InitProducerId (22).
    public static let initProducerID = KafkaAPIKey(rawValue: 22)
    /// AddPartitionsToTxn (24).
    public static let addPartitionsToTransaction = KafkaAPIKey(rawValue: 24)
    /// AddOffsetsToTxn (25): adds a consumer group's offsets to a transaction.
    public static let addOffsetsToTransaction = KafkaAPIKey(rawValue: 25)
    /// EndTxn (26).
    public static let endTransaction = KafkaAPIKey(rawValue: 26)
    /// TxnOffsetCommit (28): commits a consumer group's offsets within a transaction.
    public static let transactionOffsetCommit = KafkaAPIKey(rawValue: 28)
}
