import MessageBusIntegrationSupport
import CMessageBusRdKafka
import Foundation

/// Produces one record and consumes it back through librdkafka's C API, with bounded waits.
///
/// Every function blocks: call them from `onDedicatedThread`.
enum KafkaRoundTrip {
    /// Where a produced record landed.
    struct Delivery: Sendable {
        var partition: Int32
        var offset: Int64
    }

    /// A consumed record.
    struct Record: Sendable, Equatable {
        var key: String
        var value: String
    }

    /// Creates a topic with one partition (replication factor 1) through the Admin API.
    static func createTopic(_ topic: String, brokers: String, timeoutMilliseconds: Int32 = 15_000) throws {
        let admin = try RDKafkaHandle(RD_KAFKA_PRODUCER, brokers: brokers, properties: [:])
        try admin.requireReachable(timeoutMilliseconds: 10_000)
        var errorText = [CChar](repeating: 0, count: 512)
        guard let newTopic = rd_kafka_NewTopic_new(topic, 1, 1, &errorText, errorText.count) else {
            throw RDKafkaClientError("rd_kafka_NewTopic_new: \(errorText.nulTerminatedString)")
        }
        defer { rd_kafka_NewTopic_destroy(newTopic) }
        guard let queue = rd_kafka_queue_new(admin.pointer) else { throw RDKafkaClientError("rd_kafka_queue_new failed") }
        defer { rd_kafka_queue_destroy(queue) }
        var topics: [OpaquePointer?] = [newTopic]
        rd_kafka_CreateTopics(admin.pointer, &topics, 1, nil, queue)
        guard let event = rd_kafka_queue_poll(queue, timeoutMilliseconds) else {
            throw RDKafkaClientError("CreateTopics(\(topic)) got no answer within \(timeoutMilliseconds) ms")
        }
        defer { rd_kafka_event_destroy(event) }
        let error = rd_kafka_event_error(event)
        guard error == RD_KAFKA_RESP_ERR_NO_ERROR else {
            throw RDKafkaClientError("CreateTopics(\(topic)): \(String(cString: rd_kafka_event_error_string(event)))")
        }
        var count = 0
        guard let result = rd_kafka_event_CreateTopics_result(event),
            let results = rd_kafka_CreateTopics_result_topics(result, &count)
        else { throw RDKafkaClientError("CreateTopics(\(topic)): no result") }
        for index in 0..<count {
            let topicError = rd_kafka_topic_result_error(results[index])
            if topicError != RD_KAFKA_RESP_ERR_NO_ERROR && topicError != RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS {
                let text = rd_kafka_topic_result_error_string(results[index]).map { String(cString: $0) } ?? ""
                throw RDKafkaClientError("CreateTopics(\(topic)): \(String(cString: rd_kafka_err2str(topicError))) \(text)")
            }
        }
    }

    /// Produces one record (acks=all) and waits for its delivery report.
    static func produce(
        _ record: Record,
        to topic: String,
        brokers: String,
        timeoutMilliseconds: Int32 = 20_000
    ) throws -> Delivery {
        let producer = try RDKafkaHandle(
            RD_KAFKA_PRODUCER,
            brokers: brokers,
            properties: ["acks": "all", "linger.ms": "0", "message.timeout.ms": "\(timeoutMilliseconds)"],
            events: Int32(RD_KAFKA_EVENT_DR | RD_KAFKA_EVENT_ERROR)
        )
        try producer.requireReachable(timeoutMilliseconds: 10_000)
        guard let topicHandle = rd_kafka_topic_new(producer.pointer, topic, nil) else {
            throw RDKafkaClientError("rd_kafka_topic_new(\(topic)): \(String(cString: rd_kafka_err2str(rd_kafka_last_error())))")
        }
        defer { rd_kafka_topic_destroy(topicHandle) }
        let key = Array(record.key.utf8)
        let value = Array(record.value.utf8)
        let status = value.withUnsafeBytes { valueBytes in
            key.withUnsafeBytes { keyBytes in
                // RD_KAFKA_PARTITION_UA (-1): the partitioner chooses; MSG_F_COPY: librdkafka copies the bytes.
                rd_kafka_produce(
                    topicHandle, -1, RD_KAFKA_MSG_F_COPY,
                    UnsafeMutableRawPointer(mutating: valueBytes.baseAddress), valueBytes.count,
                    keyBytes.baseAddress, keyBytes.count, nil
                )
            }
        }
        guard status == 0 else {
            throw RDKafkaClientError("rd_kafka_produce: \(String(cString: rd_kafka_err2str(rd_kafka_last_error())))")
        }
        guard let queue = rd_kafka_queue_get_main(producer.pointer) else { throw RDKafkaClientError("no main queue") }
        defer { rd_kafka_queue_destroy(queue) }
        let deadline = ContinuousClock.now + .milliseconds(Int(timeoutMilliseconds) + 5_000)
        while ContinuousClock.now < deadline {
            guard let event = producer.pollEvent(on: queue, timeoutMilliseconds: 100) else { continue }
            defer { rd_kafka_event_destroy(event) }
            switch rd_kafka_event_type(event) {
            case RD_KAFKA_EVENT_DR:
                guard let message = rd_kafka_event_message_next(event) else { continue }
                guard message.pointee.err == RD_KAFKA_RESP_ERR_NO_ERROR else {
                    throw RDKafkaClientError("delivery to \(topic) failed: \(String(cString: rd_kafka_err2str(message.pointee.err)))")
                }
                return Delivery(partition: message.pointee.partition, offset: message.pointee.offset)
            case RD_KAFKA_EVENT_ERROR:
                let error = rd_kafka_event_error(event)
                if rd_kafka_event_error_is_fatal(event) != 0 || error == RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN {
                    throw BrokerUnreachable(
                        broker: "Kafka", address: brokers, variable: KafkaTestEnvironment.brokersVariable,
                        detail: String(cString: rd_kafka_event_error_string(event))
                    )
                }
            default:
                continue
            }
        }
        throw RDKafkaClientError("no delivery report for the record sent to \(topic) within the deadline")
    }

    /// Reads `partition` of `topic` from its beginning (assign, no consumer group join) until `expected`
    /// arrives; fails after `timeoutMilliseconds`.
    static func consume(
        _ expected: Record,
        from topic: String,
        partition: Int32,
        brokers: String,
        timeoutMilliseconds: Int = 20_000
    ) throws -> Record {
        let consumer = try RDKafkaHandle(
            RD_KAFKA_CONSUMER,
            brokers: brokers,
            properties: [
                "group.id": KafkaTestEnvironment.uniqueName("messagebus-smoke-group"),
                "enable.auto.commit": "false",
                "auto.offset.reset": "earliest",
                "fetch.wait.max.ms": "10",
                "session.timeout.ms": "6000",
                "heartbeat.interval.ms": "500",
            ]
        )
        rd_kafka_poll_set_consumer(consumer.pointer)
        guard let assignment = rd_kafka_topic_partition_list_new(1) else { throw RDKafkaClientError("partition list") }
        defer { rd_kafka_topic_partition_list_destroy(assignment) }
        let entry = rd_kafka_topic_partition_list_add(assignment, topic, partition)
        entry?.pointee.offset = Int64(RD_KAFKA_OFFSET_BEGINNING)
        let assignError = rd_kafka_assign(consumer.pointer, assignment)
        guard assignError == RD_KAFKA_RESP_ERR_NO_ERROR else {
            throw RDKafkaClientError("rd_kafka_assign: \(String(cString: rd_kafka_err2str(assignError)))")
        }
        defer { rd_kafka_consumer_close(consumer.pointer) }
        var seen: [Record] = []
        var lastError = "none"
        let deadline = ContinuousClock.now + .milliseconds(timeoutMilliseconds)
        while ContinuousClock.now < deadline {
            guard let message = rd_kafka_consumer_poll(consumer.pointer, 100) else { continue }
            defer { rd_kafka_message_destroy(message) }
            let error = message.pointee.err
            if error == RD_KAFKA_RESP_ERR__PARTITION_EOF { continue }
            guard error == RD_KAFKA_RESP_ERR_NO_ERROR else {
                lastError = String(cString: rd_kafka_err2str(error))
                continue
            }
            let record = Record(
                key: string(message.pointee.key, message.pointee.key_len),
                value: string(message.pointee.payload, message.pointee.len)
            )
            if record == expected { return record }
            seen.append(record)
        }
        throw RDKafkaClientError(
            "\(expected.value) not consumed from \(topic)[\(partition)] within \(timeoutMilliseconds) ms " +
                "(other records seen: \(seen.count), last error: \(lastError))"
        )
    }

    private static func string(_ pointer: UnsafeMutableRawPointer?, _ count: Int) -> String {
        guard let pointer, count > 0 else { return "" }
        return String(decoding: UnsafeRawBufferPointer(start: pointer, count: count), as: UTF8.self)
    }
}
