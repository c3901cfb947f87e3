public import Logging
import MessageBus
import Synchronization

/// An in-process Kafka cluster for tests: librdkafka's mock cluster (`rdkafka_mock.h`), with fault injection.
///
/// Test Kafka code with no broker: open a bus on `kafka-mock://NAME` (every bus with the same name in the process
/// shares one cluster) or on ``bootstrapServers`` directly, then take brokers down, inject request errors or move
/// partition leaders while it runs. The mock cluster speaks the consumer-group and transactional protocols, but it
/// writes no transaction markers: it does not isolate aborted transactions (see
/// ``KafkaMessageBus/checkTransactionIsolation()``).
public final class KafkaMockCluster: Sendable {
    private let cluster: RDKafkaMockCluster
    /// How many brokers the cluster has; their ids are 1 through this number.
    public let brokerCount: Int
    /// `host:port,...` of the cluster's brokers, for ``KafkaConfiguration/bootstrapServers`` or other clients.
    public var bootstrapServers: String { self.cluster.bootstrapServers }

    private static let registry = Mutex<[String: KafkaMockCluster]>([:])

    /// Starts a cluster.
    ///
    /// - Parameters:
    ///   - brokers: How many brokers, 1 to 32; 3 by default, so a broker can go down without losing the cluster.
    ///   - logger: Where the cluster's librdkafka host logs.
    /// - Throws: ``MessageBusError/Code/invalidConfiguration`` for a broker count out of range.
    public init(brokers: Int = 3, logger: Logger) throws {
        self.cluster = try RDKafkaMockCluster(brokers: brokers, logger: logger)
        self.brokerCount = brokers
    }

    deinit {
        self.cluster.destroy()
    }

    /// The cluster named `name` in this process, started with `brokers` brokers on first use.
    ///
    /// - Throws: ``MessageBusError/Code/invalidConfiguration`` when the cluster exists with another broker count.
    public static func named(_ name: String, brokers: Int = 3, logger: Logger) throws -> KafkaMockCluster {
        try self.registry.withLock { (registry) throws -> KafkaMockCluster in
            if let cluster = registry[name] {
                guard cluster.brokerCount == brokers else {
                    throw MessageBusError(
                        .invalidConfiguration,
                        "the mock cluster '\(name)' already runs with \(cluster.brokerCount) brokers, not \(brokers)")
                }
                return cluster
            }
            let cluster = try KafkaMockCluster(brokers: brokers, logger: logger)
            registry[name] = cluster
            return cluster
        }
    }

    /// Creates `topic` with `partitions` partitions.
    public func createTopic(_ topic: String, partitions: Int = 4, replicationFactor: Int = 1) throws {
        try self.cluster.createTopic(topic, partitions: partitions, replicationFactor: replicationFactor)
    }

    /// Takes broker `id` down: its connections close and it refuses new ones; leadership does not move.
    public func setBrokerDown(_ id: Int32) throws {
        try self.cluster.setBroker(id, up: false)
    }

    /// Brings broker `id` back up.
    public func setBrokerUp(_ id: Int32) throws {
        try self.cluster.setBroker(id, up: true)
    }

    /// Delays every answer of broker `id` by `delay`.
    public func setRoundTripTime(of id: Int32, to delay: Duration) throws {
        try self.cluster.setRoundTripTime(id, milliseconds: KafkaConfiguration.milliseconds(delay))
    }

    /// Moves the leadership of `topic`'s `partition` to broker `broker`.
    public func setLeader(of topic: String, partition: Int32, to broker: Int32) throws {
        try self.cluster.setLeader(topic: topic, partition: partition, broker: broker)
    }

    /// Moves the coordinator of consumer group `groupID` to broker `broker`.
    public func setCoordinator(ofGroup groupID: String, to broker: Int32) throws {
        try self.cluster.setCoordinator(group: groupID, broker: broker)
    }

    /// Makes the next requests of type `api`, cluster-wide, fail with `errors`, one each, in order.
    public func injectErrors(_ errors: [KafkaProtocolError], into api: KafkaAPIKey) {
        self.cluster.pushRequestErrors(apiKey: api.rawValue, errors: errors.map(\.rawValue))
    }

    /// Removes every injected error for `api` that has not fired yet.
    public func clearInjectedErrors(for api: KafkaAPIKey) {
        self.cluster.clearRequestErrors(apiKey: api.rawValue)
    }
}
