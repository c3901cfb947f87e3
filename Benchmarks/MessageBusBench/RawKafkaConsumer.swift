import CMessageBusRdKafka

/// A raw librdkafka group consumer: the `rd_kafka_consumer_poll` loop an application writes, storing each
/// record's offset once processed (`rd_kafka_offset_store_message`, committed by librdkafka's auto-commit), as
/// MessageBus does on `ack()`.
final class RawKafkaConsumer {
    private let handle: OpaquePointer

    init(brokers: String, topic: String, group: String) throws {
        let conf = try RawKafkaSettings.configuration(
            RawKafkaSettings.consumer.merging(["bootstrap.servers": brokers, "group.id": group]) { $1 })
        self.handle = try RawKafkaSettings.client(RD_KAFKA_CONSUMER, conf)
        rd_kafka_poll_set_consumer(self.handle)
        guard let topics = rd_kafka_topic_partition_list_new(1) else {
            throw BenchError("rd_kafka_topic_partition_list_new failed")
        }
        rd_kafka_topic_partition_list_add(topics, topic, -1)
        let subscribed = rd_kafka_subscribe(self.handle, topics)
        rd_kafka_topic_partition_list_destroy(topics)
        guard subscribed == RD_KAFKA_RESP_ERR_NO_ERROR else {
            throw BenchError("subscribe failed: \(RawKafkaSettings.describe(subscribed))")
        }
    }

    deinit {
        rd_kafka_consumer_close(self.handle)
        rd_kafka_destroy(self.handle)
    }

    /// Polls until `body` has accepted `count` records, storing each record's offset after `body`; fails when
    /// `timeout` passes first. With `readsID`, each record's `ce_id` header is read first (a record without one
    /// fails the run).
    func consume(count: Int, timeout: Duration, readsID: Bool = false, _ body: (UnsafeRawBufferPointer) -> Bool) throws {
        var accepted = 0
        let deadline = ContinuousClock.now + timeout
        while accepted < count {
            guard ContinuousClock.now < deadline else {
                throw BenchError("raw consumer accepted \(accepted) of \(count) within \(timeout)")
            }
            guard let message = rd_kafka_consumer_poll(self.handle, 100) else { continue }
            defer { rd_kafka_message_destroy(message) }
            let code = message.pointee.err
            if code == RD_KAFKA_RESP_ERR__PARTITION_EOF { continue }
            guard code == RD_KAFKA_RESP_ERR_NO_ERROR else {
                throw BenchError("raw consumer: \(RawKafkaSettings.describe(code))")
            }
            if readsID {
                var headers: OpaquePointer?
                var id: UnsafeRawPointer?
                var size = 0
                guard rd_kafka_message_headers(message, &headers) == RD_KAFKA_RESP_ERR_NO_ERROR,
                    rd_kafka_header_get_last(headers, "ce_id", &id, &size) == RD_KAFKA_RESP_ERR_NO_ERROR, size > 0
                else { throw BenchError("raw consumer: a record without a ce_id header") }
            }
            if body(UnsafeRawBufferPointer(start: message.pointee.payload, count: message.pointee.len)) { accepted += 1 }
            if let error = rd_kafka_offset_store_message(message) {
                defer { rd_kafka_error_destroy(error) }
                throw BenchError("offset store: \(String(cString: rd_kafka_error_string(error)))")
            }
        }
    }

    /// Consumes `count` records of `topic` as `group`, timed from the first record to the last.
    static func consume(
        brokers: String, topic: String, group: String, count: Int, timeout: Duration, readsID: Bool
    ) throws -> CaseResult {
        let consumer = try RawKafkaConsumer(brokers: brokers, topic: topic, group: group)
        var meter = Meter()
        try consumer.consume(count: count, timeout: timeout, readsID: readsID) { _ in
            meter.begin()
            return true
        }
        meter.finish()
        return try meter.result(messages: count)
    }
}
