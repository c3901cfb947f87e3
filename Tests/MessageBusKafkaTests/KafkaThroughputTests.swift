import CMessageBusRdKafka
import Foundation
import MessageBus
import MessageBusKafka
import Testing

/// Producer throughput of MessageBus against raw librdkafka in the same process, same broker, same settings
/// (acks=all, idempotent, linger 5 ms, 100-byte records). Prints the ratio; fails only on a pathological gap (under
/// a tenth of raw: debug builds of the Swift side are several times slower than release ones),
/// because the machine is shared and timings vary.
@Suite(
    "Kafka producer throughput (real broker)",
    .enabled(if: IntegrationGate.isEnabled, IntegrationGate.skipComment),
    .timeLimit(.minutes(3))
)
struct KafkaThroughputTests {
    static let count = 100_000

    @Test("send + flush is within reach of raw librdkafka")
    func sendThroughput() async throws {
        try await KafkaBusFactory.requireRealBroker()
        let payload = [UInt8](repeating: 42, count: 100)
        let rawTopic = KafkaTestEnvironment.uniqueName("throughput-raw")
        let busTopic = KafkaTestEnvironment.uniqueName("throughput-bus")
        let brokers = KafkaTestEnvironment.brokers
        try await onDedicatedThread("raw-topic") { try KafkaRoundTrip.createTopic(rawTopic, brokers: brokers) }
        let raw = try await onDedicatedThread("raw-produce") { try Self.rawProduce(payload, topic: rawTopic, brokers: brokers) }

        let bus = try await KafkaBusFactory.realBus()
        try await bus.publish(Message(payload: payload, key: "warm-up"), to: busTopic)
        let started = ContinuousClock.now
        let batch = (0..<1000).map { Message(payload: payload, key: "k\($0 % 16)", timestamp: nil) }
        for _ in 0..<(Self.count / 1000) { try await bus.send(contentsOf: batch, to: busTopic) }
        try await bus.flush()
        let busRate = Double(Self.count) / Self.seconds(ContinuousClock.now - started)
        try await bus.close()
        let rawRate = Double(Self.count) / Self.seconds(raw)
        print(String(format: "throughput: raw librdkafka %.0f msg/s, MessageBus send+flush %.0f msg/s, ratio %.2f",
                     rawRate, busRate, busRate / rawRate))
        #expect(busRate > rawRate * 0.1, "MessageBus \(busRate) msg/s against raw \(rawRate) msg/s")
    }

    static func seconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
    }

    /// Produces `count` records with the plain C API and waits for every delivery report.
    static func rawProduce(_ payload: [UInt8], topic: String, brokers: String) throws -> Duration {
        let producer = try RDKafkaHandle(
            RD_KAFKA_PRODUCER, brokers: brokers,
            properties: ["acks": "all", "enable.idempotence": "true", "linger.ms": "5"],
            events: Int32(RD_KAFKA_EVENT_DR))
        try producer.requireReachable(timeoutMilliseconds: 5_000)
        guard let topicHandle = rd_kafka_topic_new(producer.pointer, topic, nil),
            let queue = rd_kafka_queue_get_main(producer.pointer)
        else { throw RDKafkaClientError("raw producer setup failed") }
        defer {
            rd_kafka_queue_destroy(queue)
            rd_kafka_topic_destroy(topicHandle)
        }
        var delivered = 0
        func drain(_ timeout: Int32) {
            while let event = rd_kafka_queue_poll(queue, timeout) {
                delivered += rd_kafka_event_message_count(event)
                rd_kafka_event_destroy(event)
                if timeout > 0 { break }
            }
        }
        let started = ContinuousClock.now
        for index in 0..<count {
            let key = Array("k\(index % 16)".utf8)
            while true {
                let status = payload.withUnsafeBytes { value in
                    key.withUnsafeBytes { keyBytes in
                        rd_kafka_produce(
                            topicHandle, -1, RD_KAFKA_MSG_F_COPY, UnsafeMutableRawPointer(mutating: value.baseAddress),
                            value.count, keyBytes.baseAddress, keyBytes.count, nil)
                    }
                }
                if status == 0 { break }
                drain(10)
            }
            if index % 1000 == 0 { drain(0) }
        }
        while delivered < count { drain(100) }
        return ContinuousClock.now - started
    }
}

/// Consumer throughput of MessageBus (group subscription, batches of 1,000, every delivery acknowledged) against a
/// raw librdkafka consumer reading the same topic, in the same process, timed from each one's first record (the
/// group join is not counted). Prints the ratio.
@Suite(
    "Kafka consumer throughput (real broker)",
    .enabled(if: IntegrationGate.isEnabled, IntegrationGate.skipComment),
    .timeLimit(.minutes(3))
)
struct KafkaConsumerThroughputTests {
    @Test("receive + ack is within reach of raw librdkafka")
    func consumeThroughput() async throws {
        try await KafkaBusFactory.requireRealBroker()
        let count = KafkaThroughputTests.count
        let bus = try await KafkaBusFactory.realBus()
        let topic = KafkaTestEnvironment.uniqueName("throughput-consume")
        let batch = (0..<1000).map { Message(payload: [UInt8](repeating: 7, count: 100), key: "k\($0 % 4)") }
        for _ in 0..<(count / 1000) { try await bus.send(contentsOf: batch, to: topic) }
        try await bus.flush()

        let brokers = KafkaTestEnvironment.brokers
        let raw = try await onDedicatedThread("raw-consume") { try Self.rawConsume(count, topic: topic, brokers: brokers) }

        let subscription = try await bus.subscribe(
            to: topic, group: "throughput", options: SubscriptionOptions(startPosition: .earliest, prefetch: 5000))
        var received = 0
        var started = ContinuousClock.now
        while received < count {
            if received == 0 { started = ContinuousClock.now }
            let deliveries = try await subscription.receive(max: 1000, timeout: .seconds(30))
            try #require(!deliveries.isEmpty, "stalled after \(received)")
            received += deliveries.count
            try await deliveries.ackAll()
        }
        let busTime = ContinuousClock.now - started
        try await bus.close()
        let rawRate = Double(count) / KafkaThroughputTests.seconds(raw)
        let busRate = Double(count) / KafkaThroughputTests.seconds(busTime)
        print(String(format: "consume throughput (from the first record): raw librdkafka %.0f msg/s, MessageBus %.0f msg/s, ratio %.2f",
                     rawRate, busRate, busRate / rawRate))
        #expect(busRate > rawRate * 0.05, "MessageBus \(busRate) msg/s against raw \(rawRate) msg/s")
    }

    /// Joins a fresh group and consumes `count` records with the plain C API (`rd_kafka_consumer_poll`).
    static func rawConsume(_ count: Int, topic: String, brokers: String) throws -> Duration {
        var started = ContinuousClock.now
        let consumer = try RDKafkaHandle(
            RD_KAFKA_CONSUMER, brokers: brokers,
            properties: [
                "group.id": KafkaTestEnvironment.uniqueName("raw-throughput"), "auto.offset.reset": "earliest",
                "session.timeout.ms": "6000", "heartbeat.interval.ms": "500", "fetch.wait.max.ms": "10",
            ])
        rd_kafka_poll_set_consumer(consumer.pointer)
        guard let list = rd_kafka_topic_partition_list_new(1) else { throw RDKafkaClientError("list") }
        defer { rd_kafka_topic_partition_list_destroy(list) }
        rd_kafka_topic_partition_list_add(list, topic, RD_KAFKA_PARTITION_UA)
        _ = rd_kafka_subscribe(consumer.pointer, list)
        defer { _ = rd_kafka_consumer_close(consumer.pointer) }
        var received = 0
        let deadline = ContinuousClock.now + .seconds(60)
        while received < count, ContinuousClock.now < deadline {
            guard let message = rd_kafka_consumer_poll(consumer.pointer, 100) else { continue }
            if message.pointee.err == RD_KAFKA_RESP_ERR_NO_ERROR {
                if received == 0 { started = ContinuousClock.now }
                received += 1
            }
            rd_kafka_message_destroy(message)
        }
        return ContinuousClock.now - started
    }
}
