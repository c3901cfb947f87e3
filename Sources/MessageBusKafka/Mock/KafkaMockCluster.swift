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
    /// - Throws: ``/MessageBus/MessageBusError/Code/invalidConfiguration`` for a broker count out of range.
    public init(brokers: Int = 3, logger: Logger) throws {
        self.cluster = try RDKafkaMockCluster(brokers: brokers, logger: logger)
        self.brokerCount = brokers
    }

    deinit {
        // Destroying the cluster blocks until its thread ends, and this deinit may run on a cooperative thread:
        // the destruction gets a thread of its own. (After shutdown() it does nothing.)
        let cluster = self.cluster
        DedicatedThread.perform("mb-mock-close") { cluster.destroy() }
    }

    /// Stops the cluster and returns once it is gone; every later call throws
    /// ``/MessageBus/MessageBusError/Code/closed``. Without it, the cluster stops when the last reference to it goes
    /// away (and no bus keeps it), in the background.
    public func shutdown() async {
        let cluster = self.cluster
        await DedicatedThread.run("mb-mock-close") { cluster.destroy() }
    }

    /// The cluster named `name` in this process, started with `brokers` brokers on first use.
    ///
    /// - Throws: ``/MessageBus/MessageBusError/Code/invalidConfiguration`` when the cluster exists with another broker
    ///   count.
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

    // The calls below wait until the cluster's own thread has carried them out, so they run on a dedicated thread.

    /// Creates `topic` with `partitions` partitions.
    ///
    /// - Throws: ``/MessageBus/MessageBusError/Code/closed`` after ``shutdown()``; a broker error when the cluster
    ///   refuses.
    public func createTopic(_ topic: String, partitions: Int = 4, replicationFactor: Int = 1) async throws {
        let cluster = self.cluster
        try await DedicatedThread.run("mb-kafka-mock") {
            try cluster.createTopic(topic, partitions: partitions, replicationFactor: replicationFactor)
        }
    }

    /// Takes broker `id` down: its connections close and it refuses new ones; leadership does not move.
    ///
    /// librdkafka keeps the broker's port by binding a fresh listener to it at once, and aborts the whole process
    /// when that bind fails (another socket took the port meanwhile). Tests that run beside other work should cut
    /// connections with ``KafkaProtocolError/connectionClosed`` or stall the broker with
    /// ``setRoundTripTime(of:to:)`` instead.
    ///
    /// - Throws: ``/MessageBus/MessageBusError/Code/closed`` after ``shutdown()``; a broker error for an unknown
    ///   broker.
    public func setBrokerDown(_ id: Int32) async throws {
        let cluster = self.cluster
        try await DedicatedThread.run("mb-kafka-mock") { try cluster.setBroker(id, up: false) }
    }

    /// Brings broker `id` back up.
    ///
    /// - Throws: ``/MessageBus/MessageBusError/Code/closed`` after ``shutdown()``; a broker error for an unknown
    ///   broker.
    public func setBrokerUp(_ id: Int32) async throws {
        let cluster = self.cluster
        try await DedicatedThread.run("mb-kafka-mock") { try cluster.setBroker(id, up: true) }
    }

    /// Delays every answer of broker `id` by `delay`.
    ///
    /// - Throws: ``/MessageBus/MessageBusError/Code/closed`` after ``shutdown()``; a broker error for an unknown
    ///   broker.
    public func setRoundTripTime(of id: Int32, to delay: Duration) async throws {
        let cluster = self.cluster
        let milliseconds = KafkaConfiguration.milliseconds(delay)
        try await DedicatedThread.run("mb-kafka-mock") {
            try cluster.setRoundTripTime(id, milliseconds: milliseconds)
        }
    }

    /// Moves the leadership of `topic`'s `partition` to broker `broker`.
    ///
    /// - Throws: ``/MessageBus/MessageBusError/Code/closed`` after ``shutdown()``; a broker error for an unknown topic
    ///   or broker.
    public func setLeader(of topic: String, partition: Int32, to broker: Int32) async throws {
        let cluster = self.cluster
        try await DedicatedThread.run("mb-kafka-mock") {
            try cluster.setLeader(topic: topic, partition: partition, broker: broker)
        }
    }

    /// Moves the coordinator of consumer group `groupID` to broker `broker`.
    ///
    /// - Throws: ``/MessageBus/MessageBusError/Code/closed`` after ``shutdown()``; a broker error for an unknown
    ///   broker.
    public func setCoordinator(ofGroup groupID: String, to broker: Int32) async throws {
        let cluster = self.cluster
        try await DedicatedThread.run("mb-kafka-mock") { try cluster.setCoordinator(group: groupID, broker: broker) }
    }

    /// Makes the next requests of type `api`, cluster-wide, fail with `errors`, one each, in order.
    ///
    /// Synchronous: it only appends to the cluster's list under a lock, it does not wait for the cluster's thread.
    ///
    /// - Throws: ``/MessageBus/MessageBusError/Code/closed`` after ``shutdown()``.
    public func injectErrors(_ errors: [KafkaProtocolError], into api: KafkaAPIKey) throws {
        try self.cluster.pushRequestErrors(apiKey: api.rawValue, errors: errors.map(\.rawValue))
    }

    /// Removes every injected error for `api` that has not fired yet; synchronous, like ``injectErrors(_:into:)``.
    ///
    /// - Throws: ``/MessageBus/MessageBusError/Code/closed`` after ``shutdown()``.
    public func clearInjectedErrors(for api: KafkaAPIKey) throws {
        try self.cluster.clearRequestErrors(apiKey: api.rawValue)
    }

    /// Creates `topic` on the calling thread, which must be a dedicated one (the topic registry's lookup thread).
    func createTopicBlocking(_ topic: String, partitions: Int, replicationFactor: Int) throws(MessageBusError) {
        try self.cluster.createTopic(topic, partitions: partitions, replicationFactor: replicationFactor)
    }
}
