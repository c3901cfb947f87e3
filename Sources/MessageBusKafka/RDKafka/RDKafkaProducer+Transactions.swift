internal import CMessageBusRdKafka
import MessageBus

/// The transactional producer API. Every call blocks up to its timeout: run them on a dedicated thread.
extension RDKafkaProducer {
    /// `rd_kafka_init_transactions`: registers the transactional id and fences older producers with it.
    func initTransactions(timeoutMilliseconds: Int32) throws(MessageBusError) {
        try self.client.enter("initializing transactions")
        defer { self.client.leave() }
        if let error = RDKafkaError.consume(
            rd_kafka_init_transactions(self.client.pointer, timeoutMilliseconds), "initializing transactions")
        {
            throw error
        }
    }

    /// `rd_kafka_begin_transaction`.
    func beginTransaction() throws(MessageBusError) {
        try self.client.enter("beginning a transaction")
        defer { self.client.leave() }
        if let error = RDKafkaError.consume(rd_kafka_begin_transaction(self.client.pointer), "beginning a transaction") {
            throw error
        }
    }

    /// `rd_kafka_commit_transaction`: flushes and commits; an abortable failure says the transaction must be aborted.
    func commitTransaction(timeoutMilliseconds: Int32) throws(MessageBusError) {
        try self.client.enter("committing a transaction")
        defer { self.client.leave() }
        if let error = RDKafkaError.consume(
            rd_kafka_commit_transaction(self.client.pointer, timeoutMilliseconds), "committing a transaction")
        {
            throw error
        }
    }

    /// `rd_kafka_abort_transaction`.
    func abortTransaction(timeoutMilliseconds: Int32) throws(MessageBusError) {
        try self.client.enter("aborting a transaction")
        defer { self.client.leave() }
        if let error = RDKafkaError.consume(
            rd_kafka_abort_transaction(self.client.pointer, timeoutMilliseconds), "aborting a transaction")
        {
            throw error
        }
    }

    /// `rd_kafka_send_offsets_to_transaction`: commits the consumer's `offsets` (the next offset to read, per
    /// partition) with the transaction, for the consumer group of `consumer`.
    func sendOffsetsToTransaction(
        _ offsets: [(KafkaTopicPartition, Int64)], consumer: RDKafkaConsumer, timeoutMilliseconds: Int32
    ) throws(MessageBusError) {
        try self.client.enter("sending offsets to a transaction")
        defer { self.client.leave() }
        guard !offsets.isEmpty else { return }
        guard let metadata = consumer.groupMetadata() else {
            throw MessageBusError(
                .transactionAborted,
                "the subscription whose deliveries the transaction acknowledged has closed; its records go to the "
                    + "group's other members")
        }
        defer { rd_kafka_consumer_group_metadata_destroy(metadata) }
        let list = rd_kafka_topic_partition_list_new(Int32(clamping: offsets.count))
        defer { rd_kafka_topic_partition_list_destroy(list) }
        for (partition, offset) in offsets {
            rd_kafka_topic_partition_list_add(list, partition.topic, partition.partition)?.pointee.offset = offset
        }
        if let error = RDKafkaError.consume(
            rd_kafka_send_offsets_to_transaction(self.client.pointer, list, metadata, timeoutMilliseconds),
            "sending consumed offsets to the transaction")
        {
            throw error
        }
    }
}
