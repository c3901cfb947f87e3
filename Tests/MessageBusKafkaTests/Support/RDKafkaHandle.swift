import MessageBusIntegrationSupport
import CMessageBusRdKafka

/// A librdkafka client (`rd_kafka_t`) for the tests, used from one thread and destroyed with it.
///
/// Only for test code that runs on a dedicated thread (see `onDedicatedThread`): every call may block.
final class RDKafkaHandle {
    let pointer: OpaquePointer
    let brokers: String

    /// Creates a producer or consumer with the given configuration properties.
    ///
    /// - Parameter events: the `RD_KAFKA_EVENT_*` types to serve on the main queue instead of callbacks.
    init(_ type: rd_kafka_type_t, brokers: String, properties: [String: String], events: Int32 = 0) throws {
        guard let configuration = rd_kafka_conf_new() else { throw RDKafkaClientError("rd_kafka_conf_new failed") }
        var errorText = [CChar](repeating: 0, count: 512)
        let all = properties.merging(["bootstrap.servers": brokers]) { _, new in new }
        for (name, value) in all.sorted(by: { $0.key < $1.key }) {
            if rd_kafka_conf_set(configuration, name, value, &errorText, errorText.count) != RD_KAFKA_CONF_OK {
                rd_kafka_conf_destroy(configuration)
                throw RDKafkaClientError("\(name)=\(value): \(errorText.nulTerminatedString)")
            }
        }
        if events != 0 { rd_kafka_conf_set_events(configuration, events) }
        // rd_kafka_new takes the configuration over only when it succeeds.
        guard let client = rd_kafka_new(type, configuration, &errorText, errorText.count) else {
            rd_kafka_conf_destroy(configuration)
            throw RDKafkaClientError("rd_kafka_new: \(errorText.nulTerminatedString)")
        }
        self.pointer = client
        self.brokers = brokers
    }

    deinit {
        rd_kafka_destroy(pointer)
    }

    /// Fails with `BrokerUnreachable` unless a broker answers a metadata request within `timeoutMilliseconds`.
    func requireReachable(timeoutMilliseconds: Int32) throws {
        var metadata: UnsafePointer<rd_kafka_metadata>?
        let error = rd_kafka_metadata(pointer, 0, nil, &metadata, timeoutMilliseconds)
        if let metadata { rd_kafka_metadata_destroy(metadata) }
        guard error == RD_KAFKA_RESP_ERR_NO_ERROR else {
            throw BrokerUnreachable(
                broker: "Kafka",
                address: brokers,
                variable: KafkaTestEnvironment.brokersVariable,
                detail: "metadata request failed after \(timeoutMilliseconds) ms: \(String(cString: rd_kafka_err2str(error)))"
            )
        }
    }

    /// Polls the main event queue once; `nil` when no event arrived within the timeout.
    func pollEvent(on queue: OpaquePointer, timeoutMilliseconds: Int32) -> OpaquePointer? {
        rd_kafka_queue_poll(queue, timeoutMilliseconds)
    }
}
