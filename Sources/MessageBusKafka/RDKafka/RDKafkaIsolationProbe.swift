internal import CMessageBusRdKafka
import Foundation
import Logging
import MessageBus

/// Finds out whether a broker really hides records of aborted transactions from `read_committed` consumers:
/// writes one record in a transaction it aborts, then one in a transaction it commits, and reads the partition
/// back with `read_committed`. Blocks: run it on a dedicated thread.
enum RDKafkaIsolationProbe {
    /// The outcome.
    enum Outcome: Sendable, Equatable {
        /// The aborted record stayed invisible; the committed one arrived.
        case isolates
        /// The `read_committed` consumer received the aborted record.
        case deliversAbortedRecords
        /// The probe could not finish (no transactions, a timeout); the text says why.
        case inconclusive(String)
    }

    static func run(
        producerProperties: [(name: String, value: String)],
        consumerProperties: [(name: String, value: String)],
        topic: String,
        timeoutMilliseconds: Int32,
        logger: Logger
    ) async -> Outcome {
        let producer: RDKafkaProducer
        do {
            producer = try RDKafkaProducer(properties: producerProperties, logger: logger, messageMaxBytes: 1 << 20)
        } catch {
            return .inconclusive(error.message)
        }
        do {
            let deadline = ContinuousClock.now + .milliseconds(Int(timeoutMilliseconds))
            try await DedicatedThread.run("mb-kafka-probe") {
                try producer.initTransactions(timeoutMilliseconds: timeoutMilliseconds)
                try producer.beginTransaction()
            }
            try await producer.send([Self.record("aborted")], to: KafkaTopicName(topic), deadline: deadline)
            try await DedicatedThread.run("mb-kafka-probe") {
                rd_kafka_flush(producer.client.pointer, timeoutMilliseconds)
                try producer.abortTransaction(timeoutMilliseconds: timeoutMilliseconds)
                try producer.beginTransaction()
            }
            try await producer.send([Self.record("committed")], to: KafkaTopicName(topic), deadline: deadline)
            try await DedicatedThread.run("mb-kafka-probe") {
                try producer.commitTransaction(timeoutMilliseconds: timeoutMilliseconds)
            }
            _ = await producer.close(timeout: .seconds(1))
            return try await DedicatedThread.run("mb-kafka-probe") {
                try Self.readBack(topic: topic, properties: consumerProperties, timeoutMilliseconds: timeoutMilliseconds)
            }
        } catch let error as MessageBusError {
            _ = await producer.close(timeout: .seconds(1))
            return .inconclusive(error.message)
        } catch let failure as RDKafkaTransactionFailure {
            _ = await producer.close(timeout: .seconds(1))
            return .inconclusive(failure.error.message)
        } catch {
            _ = await producer.close(timeout: .seconds(1))
            return .inconclusive("\(error)")
        }
    }

    private static func record(_ text: String) -> KafkaOutgoingRecord {
        KafkaOutgoingRecord(
            key: nil, value: Array(text.utf8), messageID: nil, headers: [], timestampMilliseconds: nil, partition: 0)
    }

    private static func readBack(
        topic: String, properties: [(name: String, value: String)], timeoutMilliseconds: Int32
    ) throws(MessageBusError) -> Outcome {
        let consumer = try RDKafkaClient(
            kind: .consumer, properties: properties, context: RDKafkaClientContext(logger: Logger(label: "messagebus.kafka.probe", factory: { _ in SwiftLogNoOpLogHandler() })))
        defer { consumer.destroy() }
        rd_kafka_poll_set_consumer(consumer.pointer)
        let list = rd_kafka_topic_partition_list_new(1)
        defer { rd_kafka_topic_partition_list_destroy(list) }
        rd_kafka_topic_partition_list_add(list, topic, 0)?.pointee.offset = Int64(RD_KAFKA_OFFSET_BEGINNING)
        _ = rd_kafka_assign(consumer.pointer, list)
        defer { _ = rd_kafka_consumer_close(consumer.pointer) }
        let deadline = ContinuousClock.now + .milliseconds(Int(timeoutMilliseconds))
        while ContinuousClock.now < deadline {
            guard let message = rd_kafka_consumer_poll(consumer.pointer, 100) else { continue }
            defer { rd_kafka_message_destroy(message) }
            guard message.pointee.err == RD_KAFKA_RESP_ERR_NO_ERROR, let payload = message.pointee.payload else {
                continue
            }
            let text = String(decoding: UnsafeRawBufferPointer(start: payload, count: message.pointee.len), as: UTF8.self)
            if text == "aborted" { return .deliversAbortedRecords }
            if text == "committed" { return .isolates }
        }
        return .inconclusive("the committed probe record was not read back within \(timeoutMilliseconds) ms")
    }
}
