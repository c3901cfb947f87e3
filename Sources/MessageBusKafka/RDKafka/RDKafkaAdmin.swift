internal import CMessageBusRdKafka
import Logging
import MessageBus

/// Admin API calls through an existing client. Every call blocks: run them on a dedicated thread.
enum RDKafkaAdmin {
    /// Creates `topic`; an existing topic is not an error.
    ///
    /// - Parameters:
    ///   - replicationFactor: `-1` for the broker's default.
    static func createTopic(
        _ topic: String, partitions: Int, replicationFactor: Int, configs: [String: String] = [:],
        on client: RDKafkaClient, timeoutMilliseconds: Int32
    ) throws(MessageBusError) {
        try client.enter("creating topic '\(topic)'")
        defer { client.leave() }
        var errorText = [CChar](repeating: 0, count: 512)
        guard
            let newTopic = rd_kafka_NewTopic_new(
                topic, Int32(clamping: partitions), Int32(clamping: replicationFactor), &errorText, errorText.count)
        else {
            throw MessageBusError(.invalidConfiguration, "cannot create topic '\(topic)': \(errorText.nulTerminatedString)")
        }
        defer { rd_kafka_NewTopic_destroy(newTopic) }
        for (name, value) in configs.sorted(by: { $0.key < $1.key }) {
            let error = rd_kafka_NewTopic_set_config(newTopic, name, value)
            guard error == RD_KAFKA_RESP_ERR_NO_ERROR else {
                throw RDKafkaError.error(error, "setting '\(name)' = '\(value)' on new topic '\(topic)'")
            }
        }
        guard let queue = rd_kafka_queue_new(client.pointer) else {
            throw MessageBusError(.brokerError, "rd_kafka_queue_new failed while creating '\(topic)'")
        }
        defer { rd_kafka_queue_destroy(queue) }
        let options = rd_kafka_AdminOptions_new(client.pointer, RD_KAFKA_ADMIN_OP_CREATETOPICS)
        defer { rd_kafka_AdminOptions_destroy(options) }
        _ = rd_kafka_AdminOptions_set_request_timeout(options, timeoutMilliseconds, &errorText, errorText.count)
        var topics: [OpaquePointer?] = [newTopic]
        rd_kafka_CreateTopics(client.pointer, &topics, 1, options, queue)
        guard let event = rd_kafka_queue_poll(queue, timeoutMilliseconds.addingReportingOverflow(1000).overflow ? Int32.max : timeoutMilliseconds + 1000) else {
            throw MessageBusError(.timeout, "creating topic '\(topic)' got no answer within \(timeoutMilliseconds) ms")
        }
        defer { rd_kafka_event_destroy(event) }
        let error = rd_kafka_event_error(event)
        guard error == RD_KAFKA_RESP_ERR_NO_ERROR else {
            throw RDKafkaError.error(error, "creating topic '\(topic)'")
        }
        var count = 0
        guard let result = rd_kafka_event_CreateTopics_result(event),
            let results = rd_kafka_CreateTopics_result_topics(result, &count)
        else { return }
        for index in 0..<count {
            let topicError = rd_kafka_topic_result_error(results[index])
            guard topicError != RD_KAFKA_RESP_ERR_NO_ERROR, topicError != RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS else {
                continue
            }
            let detail = rd_kafka_topic_result_error_string(results[index]).map { String(cString: $0) } ?? ""
            throw RDKafkaError.error(topicError, "creating topic '\(topic)' (\(partitions) partitions): \(detail)")
        }
    }

    /// Deletes `topic`.
    static func deleteTopic(_ topic: String, on client: RDKafkaClient, timeoutMilliseconds: Int32) throws(MessageBusError) {
        try client.enter("deleting topic '\(topic)'")
        defer { client.leave() }
        guard let deleteTopic = rd_kafka_DeleteTopic_new(topic) else {
            throw MessageBusError(.brokerError, "rd_kafka_DeleteTopic_new failed for '\(topic)'")
        }
        defer { rd_kafka_DeleteTopic_destroy(deleteTopic) }
        guard let queue = rd_kafka_queue_new(client.pointer) else {
            throw MessageBusError(.brokerError, "rd_kafka_queue_new failed while deleting '\(topic)'")
        }
        defer { rd_kafka_queue_destroy(queue) }
        var topics: [OpaquePointer?] = [deleteTopic]
        rd_kafka_DeleteTopics(client.pointer, &topics, 1, nil, queue)
        guard let event = rd_kafka_queue_poll(queue, timeoutMilliseconds) else {
            throw MessageBusError(.timeout, "deleting topic '\(topic)' got no answer within \(timeoutMilliseconds) ms")
        }
        defer { rd_kafka_event_destroy(event) }
        let error = rd_kafka_event_error(event)
        guard error == RD_KAFKA_RESP_ERR_NO_ERROR else { throw RDKafkaError.error(error, "deleting topic '\(topic)'") }
        var count = 0
        guard let result = rd_kafka_event_DeleteTopics_result(event),
            let results = rd_kafka_DeleteTopics_result_topics(result, &count)
        else { return }
        for index in 0..<count where rd_kafka_topic_result_error(results[index]) != RD_KAFKA_RESP_ERR_NO_ERROR {
            throw RDKafkaError.error(rd_kafka_topic_result_error(results[index]), "deleting topic '\(topic)'")
        }
    }
}

extension RDKafkaAdmin {
    /// Per partition of `topic`: the offset `groupID` committed (or `nil`) and the high watermark. Uses a
    /// short-lived consumer of that group that never joins it. Blocks.
    static func committedAndHighWatermarks(
        topic: String, partitions: Int, groupID: String, properties: [(name: String, value: String)],
        timeoutMilliseconds: Int32
    ) throws(MessageBusError) -> [(partition: Int32, committed: Int64?, highWatermark: Int64)] {
        let client = try RDKafkaClient(
            kind: .consumer, properties: properties + [("group.id", groupID)],
            context: RDKafkaClientContext(logger: Logger(label: "messagebus.kafka.admin", factory: { _ in SwiftLogNoOpLogHandler() })))
        defer { client.destroy() }
        guard let list = rd_kafka_topic_partition_list_new(Int32(clamping: partitions)) else {
            throw MessageBusError(.brokerError, "rd_kafka_topic_partition_list_new failed")
        }
        defer { rd_kafka_topic_partition_list_destroy(list) }
        for partition in 0..<Int32(clamping: partitions) { rd_kafka_topic_partition_list_add(list, topic, partition) }
        let error = rd_kafka_committed(client.pointer, list, timeoutMilliseconds)
        guard error == RD_KAFKA_RESP_ERR_NO_ERROR else {
            throw RDKafkaError.error(error, "reading the offsets group '\(groupID)' committed on '\(topic)'")
        }
        var result: [(partition: Int32, committed: Int64?, highWatermark: Int64)] = []
        for index in 0..<Int(list.pointee.cnt) {
            let element = list.pointee.elems[index]
            var low: Int64 = 0
            var high: Int64 = 0
            let watermarkError = rd_kafka_query_watermark_offsets(
                client.pointer, topic, element.partition, &low, &high, timeoutMilliseconds)
            guard watermarkError == RD_KAFKA_RESP_ERR_NO_ERROR else {
                throw RDKafkaError.error(watermarkError, "reading the high watermark of \(topic)[\(element.partition)]")
            }
            result.append((element.partition, element.offset >= 0 ? element.offset : nil, high))
        }
        return result
    }
}
