public import MessageBus

extension KafkaMessageBus {
    /// Publishes `messages` to one explicit `partition` of topic `destination`, bypassing the partitioner, and
    /// waits for every delivery report.
    ///
    /// - Throws: ``/MessageBus/MessageBusError/Code/invalidConfiguration`` when the topic has no such partition, and
    ///   the errors of ``publish(contentsOf:to:)``.
    public func publish(contentsOf messages: [Message], to destination: String, partition: Int32) async throws {
        try self.publisher.ensureOpen()
        try DestinationName.validate(destination)
        let partitions = try await self.publisher.topics.partitionCount(of: destination)
        guard partition >= 0, Int(partition) < partitions else {
            throw MessageBusError(
                .invalidConfiguration,
                "invalid value '\(partition)' for 'partition': topic '\(destination)' has partitions 0 to \(partitions - 1)")
        }
        let records = self.publisher.records(for: messages, partitions: partitions).map { record in
            var record = record
            record.partition = partition
            return record
        }
        try await self.publisher.publishRecords(records, to: destination)
    }
}
