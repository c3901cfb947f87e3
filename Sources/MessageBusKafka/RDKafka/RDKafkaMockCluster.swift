internal import CMessageBusRdKafka
import Logging
import MessageBus
import Synchronization

/// librdkafka's in-process mock cluster (`rdkafka_mock.h`) and the client that hosts it.
///
/// `@unchecked Sendable`: the mock cluster's calls are thread-safe (they post to the cluster's own thread), and
/// every call runs under ``isDestroyed``'s lock, so none reaches the cluster after ``destroy()``.
///
/// Most calls block until the cluster's thread has carried them out (`rd_kafka_op_req` with no timeout): make them
/// on a dedicated thread.
final class RDKafkaMockCluster: @unchecked Sendable {
    private let host: RDKafkaClient
    private let cluster: OpaquePointer
    private let isDestroyed = Mutex(false)
    let bootstrapServers: String

    /// Starts a cluster of `brokers` brokers.
    init(brokers: Int, logger: Logger) throws(MessageBusError) {
        guard (1...32).contains(brokers) else {
            throw MessageBusError(
                .invalidConfiguration, "invalid value '\(brokers)' for 'brokers': expected 1 to 32 mock brokers")
        }
        // The host client only owns the mock cluster's thread; it never connects anywhere itself.
        self.host = try RDKafkaClient(
            kind: .producer, properties: [("log_level", "3")], context: RDKafkaClientContext(logger: logger))
        guard let cluster = rd_kafka_mock_cluster_new(self.host.pointer, Int32(clamping: brokers)) else {
            throw MessageBusError(.brokerError, "librdkafka could not start a mock cluster of \(brokers) brokers")
        }
        self.cluster = cluster
        self.bootstrapServers = String(cString: rd_kafka_mock_cluster_bootstraps(cluster))
    }

    /// Stops the cluster; later calls throw ``MessageBusError/Code/closed``. Blocks: call it on a dedicated thread.
    func destroy() {
        let first = self.isDestroyed.withLock { destroyed -> Bool in
            guard !destroyed else { return false }
            destroyed = true
            rd_kafka_mock_cluster_destroy(self.cluster)
            return true
        }
        if first { self.host.destroy() }
    }

    /// Runs `command` on the live cluster and throws its error, described by `what`.
    private func run(_ what: String, _ command: (OpaquePointer) -> rd_kafka_resp_err_t) throws(MessageBusError) {
        let error = self.isDestroyed.withLock { destroyed -> rd_kafka_resp_err_t in
            destroyed ? RD_KAFKA_RESP_ERR__DESTROY : command(self.cluster)
        }
        if error == RD_KAFKA_RESP_ERR__DESTROY { throw MessageBusError(.closed, "\(what): the mock cluster is shut down") }
        guard error == RD_KAFKA_RESP_ERR_NO_ERROR else { throw RDKafkaError.error(error, what) }
    }

    func createTopic(_ topic: String, partitions: Int, replicationFactor: Int) throws(MessageBusError) {
        try self.run("creating mock topic '\(topic)'") { cluster in
            rd_kafka_mock_topic_create(cluster, topic, Int32(clamping: partitions), Int32(clamping: replicationFactor))
        }
    }

    func setBroker(_ broker: Int32, up: Bool) throws(MessageBusError) {
        try self.run("setting mock broker \(broker) \(up ? "up" : "down")") { cluster in
            up ? rd_kafka_mock_broker_set_up(cluster, broker) : rd_kafka_mock_broker_set_down(cluster, broker)
        }
    }

    func setRoundTripTime(_ broker: Int32, milliseconds: Int) throws(MessageBusError) {
        try self.run("setting RTT of broker \(broker)") { cluster in
            rd_kafka_mock_broker_set_rtt(cluster, broker, Int32(clamping: milliseconds))
        }
    }

    func setLeader(topic: String, partition: Int32, broker: Int32) throws(MessageBusError) {
        try self.run("moving the leader of \(topic)[\(partition)] to broker \(broker)") { cluster in
            rd_kafka_mock_partition_set_leader(cluster, topic, partition, broker)
        }
    }

    func setCoordinator(group: String, broker: Int32) throws(MessageBusError) {
        try self.run("moving the coordinator of group '\(group)' to broker \(broker)") { cluster in
            rd_kafka_mock_coordinator_set(cluster, "group", group, broker)
        }
    }

    /// Makes the next requests of API `apiKey` fail, in order, with the given Kafka error codes. Does not block
    /// (it only appends to a list under the cluster's lock).
    func pushRequestErrors(apiKey: Int16, errors: [Int32]) throws(MessageBusError) {
        var codes = errors.map { rd_kafka_resp_err_t(rawValue: $0) }
        try self.run("injecting errors into API \(apiKey)") { cluster in
            rd_kafka_mock_push_request_errors_array(cluster, apiKey, codes.count, &codes)
            return RD_KAFKA_RESP_ERR_NO_ERROR
        }
    }

    /// Drops the errors not yet used for API `apiKey`. Does not block.
    func clearRequestErrors(apiKey: Int16) throws(MessageBusError) {
        try self.run("clearing the errors of API \(apiKey)") { cluster in
            rd_kafka_mock_clear_request_errors(cluster, apiKey)
            return RD_KAFKA_RESP_ERR_NO_ERROR
        }
    }
}
