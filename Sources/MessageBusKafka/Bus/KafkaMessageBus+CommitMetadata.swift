internal import CMessageBusRdKafka
import Foundation
import Logging
import MessageBus

extension KafkaMessageBus {
    /// Finds out whether the broker keeps the metadata of committed offsets, which the backend uses to count
    /// redeliveries across group members: a record read again after a cancel, a rebalance or a crash gets its
    /// attempt raised only where the broker keeps it (Apache Kafka and librdkafka's mock cluster do; Tansu 0.6
    /// drops it, and there such a redelivery keeps the attempt it had).
    ///
    /// Commits an offset with metadata for a fresh probe group on a probe topic and reads it back.
    ///
    /// - Returns: `true` when the metadata came back unchanged.
    /// - Throws: ``/MessageBus/MessageBusError`` when the probe topic cannot be created or the broker does not
    ///   answer within ``KafkaConfiguration/connectTimeout``.
    public func checkCommitMetadata() async throws -> Bool {
        try self.publisher.ensureOpen()
        let topic = "messagebus.commit-metadata-probe"
        _ = try await self.publisher.topics.partitionCount(of: topic)
        let properties = self.kafkaConfiguration.consumerProperties(
            clientName: self.configuration.clientName, groupID: "messagebus-probe-\(UUID().uuidString.lowercased())",
            start: .earliest)
        let timeout = Int32(clamping: KafkaConfiguration.milliseconds(self.kafkaConfiguration.connectTimeout))
        let kept = try await DedicatedThread.run("mb-kafka-probe") { () throws(MessageBusError) -> Bool in
            let consumer = try RDKafkaClient(
                kind: .consumer, properties: properties,
                context: RDKafkaClientContext(
                    logger: Logger(label: "messagebus.kafka.probe", factory: { _ in SwiftLogNoOpLogHandler() })))
            defer { consumer.destroy() }
            let written = "mb1:0:1"
            let commit = rd_kafka_topic_partition_list_new(1)!
            defer { rd_kafka_topic_partition_list_destroy(commit) }
            if let element = rd_kafka_topic_partition_list_add(commit, topic, 0), let copy = strdup(written) {
                element.pointee.offset = 0
                element.pointee.metadata = UnsafeMutableRawPointer(copy)
                element.pointee.metadata_size = strlen(copy)
            }
            let committed = rd_kafka_commit(consumer.pointer, commit, 0)
            guard committed == RD_KAFKA_RESP_ERR_NO_ERROR else {
                throw RDKafkaError.error(committed, "committing the probe offset")
            }
            let lookup = rd_kafka_topic_partition_list_new(1)!
            defer { rd_kafka_topic_partition_list_destroy(lookup) }
            rd_kafka_topic_partition_list_add(lookup, topic, 0)
            let read = rd_kafka_committed(consumer.pointer, lookup, timeout)
            guard read == RD_KAFKA_RESP_ERR_NO_ERROR else {
                throw RDKafkaError.error(read, "reading the probe offset back")
            }
            let element = lookup.pointee.elems[0]
            let metadata = element.metadata.map {
                String(decoding: UnsafeRawBufferPointer(start: $0, count: element.metadata_size), as: UTF8.self)
            }
            return metadata == written
        }
        self.logger.debug("commit metadata probe", metadata: ["kept": "\(kept)"])
        return kept
    }
}
