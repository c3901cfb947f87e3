import CMessageBusRdKafka
import Foundation

/// The raw librdkafka baseline: the producer and consumer loops an application writes against the C API.
enum RawKafka {
    /// Settings both sides use, so that they ask the broker for the same work. `fetch.queue.backoff.ms` is the
    /// MessageBus consumer's own default (10 ms instead of librdkafka's 1 s); the raw consumer gets it too, so the
    /// fetchers behave alike (measured: it does not slow the raw loop).
    static let producerSettings = ["acks": "all", "enable.idempotence": "true", "linger.ms": "5"]
    static let consumerSettings = [
        "auto.offset.reset": "earliest", "session.timeout.ms": "6000", "heartbeat.interval.ms": "500",
        "fetch.wait.max.ms": "10", "fetch.queue.backoff.ms": "10",
    ]

    private final class DeliveryCounter {
        var delivered = 0
        var failed = 0
    }

    /// Produces `count` records of `payload` (with the id header MessageBus adds) to `topic` and waits for every
    /// delivery report.
    static func produce(brokers: String, topic: String, count: Int, payload: [UInt8]) throws -> Duration {
        let counter = DeliveryCounter()
        let conf = try self.configuration(["bootstrap.servers": brokers].merging(self.producerSettings) { $1 })
        rd_kafka_conf_set_dr_msg_cb(conf) { _, message, opaque in
            guard let message, let opaque else { return }
            let counter = Unmanaged<DeliveryCounter>.fromOpaque(opaque).takeUnretainedValue()
            if message.pointee.err == RD_KAFKA_RESP_ERR_NO_ERROR { counter.delivered += 1 } else { counter.failed += 1 }
        }
        rd_kafka_conf_set_opaque(conf, Unmanaged.passUnretained(counter).toOpaque())
        let producer = try self.client(RD_KAFKA_PRODUCER, conf)
        defer { rd_kafka_destroy(producer) }
        // The same bytes as MessageBus sends: the value and a CloudEvents `ce_id` header with the message id.
        let messageID = Array("5F1A7C2E-9B3D-4E8A-A1C6-0D2B4F6E8A90".utf8)
        let elapsed = try withExtendedLifetime(counter) {
            let start = ContinuousClock.now
            try payload.withUnsafeBytes { bytes in
                try messageID.withUnsafeBytes { id in
                    try topic.withCString { topicName in
                        var sent = 0
                        while sent < count {
                            let headers = rd_kafka_headers_new(1)
                            rd_kafka_header_add(headers, "ce_id", -1, id.baseAddress, id.count)
                            let error = withUnsafeTemporaryAllocation(of: rd_kafka_vu_t.self, capacity: 4) { fields in
                            fields.initialize(repeating: rd_kafka_vu_t())
                            fields[0].vtype = RD_KAFKA_VTYPE_TOPIC
                            fields[0].u.cstr = topicName
                            fields[1].vtype = RD_KAFKA_VTYPE_VALUE
                            fields[1].u.mem.ptr = UnsafeMutableRawPointer(mutating: bytes.baseAddress)
                            fields[1].u.mem.size = bytes.count
                            fields[2].vtype = RD_KAFKA_VTYPE_MSGFLAGS
                            fields[2].u.i = RD_KAFKA_MSG_F_COPY
                            fields[3].vtype = RD_KAFKA_VTYPE_HEADERS
                            fields[3].u.headers = headers
                            return rd_kafka_produceva(producer, fields.baseAddress, 4)
                            }
                            guard let error else {
                                sent += 1
                                if sent % 1000 == 0 { rd_kafka_poll(producer, 0) }
                                continue
                            }
                            let code = rd_kafka_error_code(error)
                            rd_kafka_error_destroy(error)
                            rd_kafka_headers_destroy(headers)
                            guard code == RD_KAFKA_RESP_ERR__QUEUE_FULL else {
                                throw RawClientError(description: "produce failed: \(String(cString: rd_kafka_err2str(code)))")
                            }
                            rd_kafka_poll(producer, 10)
                        }
                    }
                }
            }
            while rd_kafka_outq_len(producer) > 0 { rd_kafka_poll(producer, 50) }
            return ContinuousClock.now - start
        }
        guard counter.delivered == count, counter.failed == 0 else {
            throw RawClientError(description: "raw producer delivered \(counter.delivered) of \(count), \(counter.failed) failed")
        }
        return elapsed
    }

    /// Consumes `count` records of `topic` as group `group`, timed from the first record to the last.
    static func consume(brokers: String, topic: String, group: String, count: Int) throws -> Duration {
        let conf = try self.configuration(
            ["bootstrap.servers": brokers, "group.id": group].merging(self.consumerSettings) { $1 })
        let consumer = try self.client(RD_KAFKA_CONSUMER, conf)
        defer {
            rd_kafka_consumer_close(consumer)
            rd_kafka_destroy(consumer)
        }
        rd_kafka_poll_set_consumer(consumer)
        guard let topics = rd_kafka_topic_partition_list_new(1) else {
            throw RawClientError(description: "rd_kafka_topic_partition_list_new failed")
        }
        rd_kafka_topic_partition_list_add(topics, topic, -1)
        let subscribed = rd_kafka_subscribe(consumer, topics)
        rd_kafka_topic_partition_list_destroy(topics)
        guard subscribed == RD_KAFKA_RESP_ERR_NO_ERROR else {
            throw RawClientError(description: "subscribe failed: \(String(cString: rd_kafka_err2str(subscribed)))")
        }
        var stopwatch = Stopwatch()
        var received = 0
        let deadline = ContinuousClock.now.advanced(by: .seconds(180))
        while received < count {
            guard ContinuousClock.now < deadline else {
                throw RawClientError(description: "raw consumer received \(received) of \(count) within 180 s")
            }
            guard let message = rd_kafka_consumer_poll(consumer, 100) else { continue }
            if message.pointee.err == RD_KAFKA_RESP_ERR_NO_ERROR {
                stopwatch.markFirst()
                received += 1
            }
            rd_kafka_message_destroy(message)
        }
        stopwatch.markLast()
        return stopwatch.elapsed
    }

    private static func configuration(_ settings: [String: String]) throws -> OpaquePointer {
        guard let conf = rd_kafka_conf_new() else { throw RawClientError(description: "rd_kafka_conf_new failed") }
        var errorText = [CChar](repeating: 0, count: 512)
        for (name, value) in settings where rd_kafka_conf_set(conf, name, value, &errorText, errorText.count) != RD_KAFKA_CONF_OK {
            rd_kafka_conf_destroy(conf)
            throw RawClientError(description: "\(name)=\(value): \(String(decoding: errorText.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self))")
        }
        return conf
    }

    private static func client(_ type: rd_kafka_type_t, _ conf: OpaquePointer) throws -> OpaquePointer {
        var errorText = [CChar](repeating: 0, count: 512)
        guard let client = rd_kafka_new(type, conf, &errorText, errorText.count) else {
            rd_kafka_conf_destroy(conf)
            throw RawClientError(description: "rd_kafka_new: \(String(decoding: errorText.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self))")
        }
        return client
    }
}
