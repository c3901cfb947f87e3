import MessageBus

/// What a topic holds, for monitoring (the `messagebus stats` command reads it). The call runs its blocking
/// librdkafka work on a dedicated thread.
extension KafkaMessageBus {
    /// The low and high watermarks of every partition of `topic`.
    ///
    /// - Throws: ``/MessageBus/MessageBusError/Code/unknownDestination`` when the topic does not exist, and the
    ///   broker's error (naming the partition) when a partition cannot be queried.
    public func partitionOffsets(of topic: String) async throws -> [KafkaPartitionOffsets] {
        guard let partitions = try await self.partitionCount(of: topic) else {
            throw MessageBusError(.unknownDestination, "topic '\(topic)' does not exist")
        }
        let client = self.publisher.producer.client
        let timeout = Int32(clamping: KafkaConfiguration.milliseconds(self.kafkaConfiguration.connectTimeout))
        let entries = try await DedicatedThread.run("mb-kafka-admin") {
            try RDKafkaAdmin.watermarks(topic: topic, partitions: partitions, on: client, timeoutMilliseconds: timeout)
        }
        return entries.map { KafkaPartitionOffsets(partition: $0.partition, lowWatermark: $0.low, highWatermark: $0.high) }
    }
}
