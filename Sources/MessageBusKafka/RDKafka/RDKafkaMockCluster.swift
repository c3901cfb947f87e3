internal import CMessageBusRdKafka
import Logging
import MessageBus

/// librdkafka's in-process mock cluster (`rdkafka_mock.h`) and the client that hosts it.
///
/// `@unchecked Sendable`: the mock cluster's calls are thread-safe (they post to the cluster's own thread), and
/// the handles live until ``destroy()``.
final class RDKafkaMockCluster: @unchecked Sendable {
    private let host: RDKafkaClient
    private let cluster: OpaquePointer
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

    /// Stops the cluster. Blocks: call it on a dedicated thread.
    func destroy() {
        rd_kafka_mock_cluster_destroy(self.cluster)
        self.host.destroy()
    }

    func createTopic(_ topic: String, partitions: Int, replicationFactor: Int) throws(MessageBusError) {
        let error = rd_kafka_mock_topic_create(self.cluster, topic, Int32(clamping: partitions), Int32(clamping: replicationFactor))
        guard error == RD_KAFKA_RESP_ERR_NO_ERROR else { throw RDKafkaError.error(error, "creating mock topic '\(topic)'") }
    }

    func setBroker(_ broker: Int32, up: Bool) throws(MessageBusError) {
        let error = up ? rd_kafka_mock_broker_set_up(self.cluster, broker) : rd_kafka_mock_broker_set_down(self.cluster, broker)
        guard error == RD_KAFKA_RESP_ERR_NO_ERROR else {
            throw RDKafkaError.error(error, "setting mock broker \(broker) \(up ? "up" : "down")")
        }
    }

    func setRoundTripTime(_ broker: Int32, milliseconds: Int) throws(MessageBusError) {
        let error = rd_kafka_mock_broker_set_rtt(self.cluster, broker, Int32(clamping: milliseconds))
        guard error == RD_KAFKA_RESP_ERR_NO_ERROR else { throw RDKafkaError.error(error, "setting RTT of broker \(broker)") }
    }

    func setLeader(topic: String, partition: Int32, broker: Int32) throws(MessageBusError) {
        let error = rd_kafka_mock_partition_set_leader(self.cluster, topic, partition, broker)
        guard error == RD_KAFKA_RESP_ERR_NO_ERROR else {
            throw RDKafkaError.error(error, "moving the leader of \(topic)[\(partition)] to broker \(broker)")
        }
    }

    func setCoordinator(group: String, broker: Int32) throws(MessageBusError) {
        let error = rd_kafka_mock_coordinator_set(self.cluster, "group", group, broker)
        guard error == RD_KAFKA_RESP_ERR_NO_ERROR else {
            throw RDKafkaError.error(error, "moving the coordinator of group '\(group)' to broker \(broker)")
        }
    }

    /// Makes the next requests of API `apiKey` fail, in order, with the given Kafka error codes.
    func pushRequestErrors(apiKey: Int16, errors: [Int32]) {
        var codes = errors.map { rd_kafka_resp_err_t(rawValue: $0) }
        rd_kafka_mock_push_request_errors_array(self.cluster, apiKey, codes.count, &codes)
    }

    func clearRequestErrors(apiKey: Int16) {
        rd_kafka_mock_clear_request_errors(self.cluster, apiKey)
    }
}
