/// A Kafka protocol error code, for injecting failures into ``KafkaMockCluster``'s answers.
public struct KafkaProtocolError: Sendable, Hashable, RawRepresentable {
    /// The protocol's error code number.
    public var rawValue: Int32

    /// Creates an error from its number.
    public init(rawValue: Int32) {
        self.rawValue = rawValue
    }

    /// librdkafka's own `_TRANSPORT` (-195), which no broker sends: the mock cluster closes the connection the
    /// request came on, as a broker that crashed or a network that cut it would. The client reconnects and retries.
    public static let connectionClosed = KafkaProtocolError(rawValue: -195)
    /// NOT_LEADER_OR_FOLLOWER (6): retriable; the client refreshes metadata.
    public static let notLeaderOrFollower = KafkaProtocolError(rawValue: 6)
    /// REQUEST_TIMED_OUT (7): retriable.
    public static let requestTimedOut = KafkaProtocolError(rawValue: 7)
    /// COORDINATOR_LOAD_IN_PROGRESS (14): retriable.
    public static let coordinatorLoadInProgress = KafkaProtocolError(rawValue: 14)
    /// COORDINATOR_NOT_AVAILABLE (15): retriable.
    public static let coordinatorNotAvailable = KafkaProtocolError(rawValue: 15)
    /// NOT_COORDINATOR (16): retriable; the client looks the coordinator up again.
    public static let notCoordinator = KafkaProtocolError(rawValue: 16)
    /// NOT_ENOUGH_REPLICAS (19): retriable.
    public static let notEnoughReplicas = KafkaProtocolError(rawValue: 19)
    /// REBALANCE_IN_PROGRESS (27).
    public static let rebalanceInProgress = KafkaProtocolError(rawValue: 27)
    /// TOPIC_AUTHORIZATION_FAILED (29): in a transaction, an abortable error.
    public static let topicAuthorizationFailed = KafkaProtocolError(rawValue: 29)
    /// GROUP_AUTHORIZATION_FAILED (30): in a transaction's offset calls, an abortable error.
    public static let groupAuthorizationFailed = KafkaProtocolError(rawValue: 30)
    /// INVALID_PRODUCER_EPOCH (47): the producer was fenced.
    public static let invalidProducerEpoch = KafkaProtocolError(rawValue: 47)
    /// CONCURRENT_TRANSACTIONS (51): retriable.
    public static let concurrentTransactions = KafkaProtocolError(rawValue: 51)
    /// UNKNOWN_PRODUCER_ID (59): the broker forgot the producer; in a transaction, abortable (the abort bumps the
    /// producer epoch).
    public static let unknownProducerID = KafkaProtocolError(rawValue: 59)
    /// PRODUCER_FENCED (90): a newer producer with the same transactional id exists.
    public static let producerFenced = KafkaProtocolError(rawValue: 90)
}
