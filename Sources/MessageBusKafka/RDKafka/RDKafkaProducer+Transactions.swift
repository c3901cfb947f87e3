internal import CMessageBusRdKafka
import MessageBus

/// The transactional producer API. Every call blocks up to its timeout: run them on a dedicated thread.
///
/// Each throws an ``RDKafkaTransactionFailure`` that says, as librdkafka classifies the error, whether to call
/// again, abort the transaction or give up on the producer.
extension RDKafkaProducer {
    /// `rd_kafka_init_transactions`: registers the transactional id and fences older producers with it.
    func initTransactions(timeoutMilliseconds: Int32) throws(RDKafkaTransactionFailure) {
        try self.transactionCall("initializing transactions") { pointer in
            rd_kafka_init_transactions(pointer, timeoutMilliseconds)
        }
    }

    /// `rd_kafka_begin_transaction`.
    func beginTransaction() throws(RDKafkaTransactionFailure) {
        try self.transactionCall("beginning a transaction") { pointer in rd_kafka_begin_transaction(pointer) }
    }

    /// `rd_kafka_commit_transaction`: flushes and commits.
    func commitTransaction(timeoutMilliseconds: Int32) throws(RDKafkaTransactionFailure) {
        try self.transactionCall("committing a transaction") { pointer in
            rd_kafka_commit_transaction(pointer, timeoutMilliseconds)
        }
    }

    /// `rd_kafka_abort_transaction`.
    func abortTransaction(timeoutMilliseconds: Int32) throws(RDKafkaTransactionFailure) {
        try self.transactionCall("aborting a transaction") { pointer in
            rd_kafka_abort_transaction(pointer, timeoutMilliseconds)
        }
    }

    /// `rd_kafka_send_offsets_to_transaction`: commits the consumer's `offsets` (the next offset to read, per
    /// partition) with the transaction, for the consumer group of `consumer`.
    func sendOffsetsToTransaction(
        _ offsets: [(KafkaTopicPartition, Int64)], consumer: RDKafkaConsumer, timeoutMilliseconds: Int32
    ) throws(RDKafkaTransactionFailure) {
        guard !offsets.isEmpty else { return }
        guard let metadata = consumer.groupMetadata() else {
            throw RDKafkaTransactionFailure(
                recovery: .abort,
                error: MessageBusError(
                    .transactionAborted,
                    "the subscription whose deliveries the transaction acknowledged has closed; its records go to the "
                        + "group's other members"))
        }
        defer { rd_kafka_consumer_group_metadata_destroy(metadata) }
        let list = rd_kafka_topic_partition_list_new(Int32(clamping: offsets.count))
        defer { rd_kafka_topic_partition_list_destroy(list) }
        for (partition, offset) in offsets {
            rd_kafka_topic_partition_list_add(list, partition.topic, partition.partition)?.pointee.offset = offset
        }
        try self.transactionCall("sending consumed offsets to the transaction") { pointer in
            rd_kafka_send_offsets_to_transaction(pointer, list, metadata, timeoutMilliseconds)
        }
    }

    /// The producer's fatal error (`rd_kafka_fatal_error`): `_FENCED` once a newer producer with the same
    /// transactional id took over; `nil` while the producer is usable.
    func fatalTransactionError() -> (fenced: Bool, error: MessageBusError)? {
        guard (try? self.client.enter("reading the fatal error")) != nil else { return nil }
        defer { self.client.leave() }
        var text = [CChar](repeating: 0, count: 512)
        let code = rd_kafka_fatal_error(self.client.pointer, &text, text.count)
        guard code != RD_KAFKA_RESP_ERR_NO_ERROR else { return nil }
        return (
            code == RD_KAFKA_RESP_ERR__FENCED,
            RDKafkaError.error(code, text.nulTerminatedString)
        )
    }

    /// Runs one transactional call on the live handle and classifies its error.
    private func transactionCall(
        _ what: String, _ call: (OpaquePointer) -> OpaquePointer?
    ) throws(RDKafkaTransactionFailure) {
        do {
            try self.client.enter(what)
        } catch {
            throw RDKafkaTransactionFailure(recovery: .none, error: error)
        }
        defer { self.client.leave() }
        if let failure = RDKafkaError.consumeTransactional(call(self.client.pointer), what) { throw failure }
    }
}
