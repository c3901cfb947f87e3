import MessageBus

/// The Kafka backend's own settings, each mapped onto the librdkafka property its documentation names.
///
/// The defaults suit both a production cluster and the brokers this project tests with: idempotent `acks=all`
/// production, a 4 MiB record limit (so a 1 MiB message with its headers fits), and consumer-group timings that let
/// a member join in a few seconds. Anything not modelled here goes through ``additionalProperties``, which
/// librdkafka validates when the bus opens.
public struct KafkaConfiguration: Sendable {
    /// The bootstrap servers, `host:port` each (`bootstrap.servers`).
    public var bootstrapServers: [String]
    /// The client id the brokers log (`client.id`); the bus configuration's client name when `nil`.
    public var clientID: String?

    // MARK: Producer

    /// How many replicas must acknowledge a record (`acks`). Default ``KafkaAcks/all``.
    public var acks: KafkaAcks = .all
    /// Idempotent production (`enable.idempotence`): no duplicates and no reordering from retries. Default on.
    public var enableIdempotence: Bool = true
    /// Batch compression (`compression.codec`). Default none.
    public var compression: KafkaCompression = .none
    /// How long the producer waits to fill a batch (`linger.ms`). Default 5 ms.
    public var linger: Duration = .milliseconds(5)
    /// The most bytes in one batch (`batch.size`); librdkafka's default (1,000,000) when `nil`.
    public var batchSize: Int?
    /// The largest record the client sends or accepts (`message.max.bytes`). Default 4 MiB; the broker's own
    /// limit (`message.max.bytes` / `max.message.bytes` on the topic) must allow it too.
    public var messageMaxBytes: Int = 4 << 20
    /// The partitioner for keyed records (`partitioner`); librdkafka's `consistent_random` when `nil`.
    public var partitioner: String?
    /// The transactional id (`transactional.id`) for a bus opened with ``/MessageBus/DeliveryGuarantee/exactlyOnce``; a
    /// unique one per bus when `nil`. Give each producer instance a stable id to have a restarted one fence its
    /// predecessor.
    public var transactionalID: String?
    /// Whether opening a bus with ``/MessageBus/DeliveryGuarantee/exactlyOnce`` first proves that the broker isolates
    /// aborted transactions (``KafkaMessageBus/checkTransactionIsolation()``) and refuses it otherwise. On by default;
    /// turn it off only for a broker you verified yourself, or to exercise the transactional calls on a broker that
    /// lacks isolation (the mock cluster) knowing that `read_committed` consumers will see aborted records there.
    public var requiresVerifiedTransactionIsolation: Bool = true

    // MARK: Consumer

    /// How subscriber groups become Kafka group ids (`group.id`). Default
    /// ``KafkaGroupNaming/scopedByDestination(prefix:)`` with no prefix.
    public var groupNaming: KafkaGroupNaming = .scopedByDestination(prefix: "")
    /// Which transactional records consumers see (`isolation.level`). Default ``KafkaIsolationLevel/readCommitted``.
    public var isolationLevel: KafkaIsolationLevel = .readCommitted
    /// How the group spreads partitions (`partition.assignment.strategy`). Default ``KafkaAssignmentStrategy/eager``.
    public var assignmentStrategy: KafkaAssignmentStrategy = .eager
    /// How long a member may go without a heartbeat before the group drops it (`session.timeout.ms`). Default 6 s:
    /// short enough that joining and leaving take seconds, not the 45 s default (a broker rebalances after it).
    public var sessionTimeout: Duration = .seconds(6)
    /// How often a member heartbeats (`heartbeat.interval.ms`). Default 500 ms.
    public var heartbeatInterval: Duration = .milliseconds(500)
    /// The longest a member may go without polling before it leaves the group (`max.poll.interval.ms`; raised to
    /// the session timeout when that is longer, as librdkafka requires). Default 25 s. The backend polls on its own thread even while a subscription is full, so this only bounds a stuck
    /// process; it is also the rebalance timeout a join sends, and librdkafka waits this long plus 3 s for a
    /// `JoinGroup` answer before it asks again (at librdkafka's 300 s, a join a broker never answered outlasted
    /// ``groupJoinTimeout``).
    public var maxPollInterval: Duration = .seconds(25)
    /// How long a fetch waits on the broker for `fetchMinBytes` (`fetch.wait.max.ms`). Default 10 ms: brokers
    /// that hold a fetch for this long (Tansu) otherwise add half a second of latency.
    public var fetchWaitMax: Duration = .milliseconds(10)
    /// The least data a fetch waits for (`fetch.min.bytes`). Default 1.
    public var fetchMinBytes: Int = 1
    /// The most data one fetch returns (`fetch.max.bytes`); librdkafka's default when `nil`.
    public var fetchMaxBytes: Int?
    /// The most data per partition in one fetch (`max.partition.fetch.bytes`); librdkafka's default when `nil`.
    public var maxPartitionFetchBytes: Int?
    /// How long a subscription waits for its group to assign it partitions before it fails with
    /// ``/MessageBus/MessageBusError/Code/timeout``.
    public var groupJoinTimeout: Duration = .seconds(60)

    // MARK: Topics and connection

    /// Create a destination's topic on first use when the cluster lacks it (Admin API `CreateTopics`).
    public var createTopics: Bool = true
    /// The partition count of topics the backend creates. Default 4.
    public var topicPartitions: Int = 4
    /// The replication factor of topics the backend creates; the broker's default (`-1`) when `nil`.
    public var topicReplicationFactor: Int?
    /// How long opening the bus waits for a broker to answer before it fails with
    /// ``/MessageBus/MessageBusError/Code/connectionFailed``.
    public var connectTimeout: Duration = .seconds(10)
    /// TLS and SASL.
    public var security = KafkaSecurity()
    /// Any other librdkafka property, set last (so it overrides the typed settings). Invalid names or values fail
    /// the bus's opening with ``/MessageBus/MessageBusError/Code/invalidConfiguration`` naming them.
    public var additionalProperties: [String: String] = [:]

    /// Creates a configuration for a cluster.
    ///
    /// - Parameter bootstrapServers: `host:port` of one or more brokers.
    public init(bootstrapServers: [String]) {
        self.bootstrapServers = bootstrapServers
    }

    /// Throws ``/MessageBus/MessageBusError/Code/invalidConfiguration`` naming the first setting out of range.
    public func validate() throws {
        guard !self.bootstrapServers.isEmpty, self.bootstrapServers.allSatisfy({ !$0.isEmpty }) else {
            throw MessageBusError(
                .invalidConfiguration, "bootstrapServers '\(self.bootstrapServers.joined(separator: ","))' is empty: "
                    + "expected one or more host:port")
        }
        guard self.topicPartitions >= 1 else {
            throw Self.invalid("topicPartitions", self.topicPartitions, "an integer of at least 1")
        }
        guard self.messageMaxBytes >= 1000 else {
            throw Self.invalid("messageMaxBytes", self.messageMaxBytes, "at least 1000 bytes")
        }
        for (name, duration) in [
            ("sessionTimeout", self.sessionTimeout), ("heartbeatInterval", self.heartbeatInterval),
            ("connectTimeout", self.connectTimeout), ("groupJoinTimeout", self.groupJoinTimeout),
            ("maxPollInterval", self.maxPollInterval),
        ] where duration <= .zero {
            throw Self.invalid(name, duration, "a positive duration")
        }
        if self.enableIdempotence && self.acks != .all {
            throw MessageBusError(
                .invalidConfiguration,
                "invalid value '\(self.acks.rawValue)' for 'acks': idempotence (enableIdempotence) needs acks=all")
        }
    }

    private static func invalid(_ key: String, _ value: Any, _ expected: String) -> MessageBusError {
        MessageBusError(.invalidConfiguration, "invalid value '\(value)' for '\(key)': expected \(expected)")
    }
}
