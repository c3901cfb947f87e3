import MessageBus

/// Topic administration and group lag, through the bus's own client. Every call runs its blocking librdkafka
/// work on a dedicated thread.
extension KafkaMessageBus {
    /// Creates `topic` (Admin API `CreateTopics`; an existing topic is not an error, and keeps its settings).
    ///
    /// - Parameters:
    ///   - topic: The topic's name.
    ///   - partitions: The partition count; ``KafkaConfiguration/topicPartitions`` when `nil`.
    ///   - replicationFactor: The replication factor; the broker's default when `nil`.
    ///   - configs: Topic-level configuration, such as `["retention.ms": "604800000", "cleanup.policy":
    ///     "compact"]`; the broker validates names and values. Ignored by librdkafka's mock cluster.
    /// - Throws: ``/MessageBus/MessageBusError/Code/invalidConfiguration`` for a bad name or count, or the broker's
    ///   refusal (naming the topic), such as an invalid config.
    public func createTopic(
        _ topic: String, partitions: Int? = nil, replicationFactor: Int? = nil, configs: [String: String] = [:]
    ) async throws {
        try self.publisher.ensureOpen()
        try DestinationName.validate(topic)
        let client = self.publisher.producer.client
        let count = partitions ?? self.kafkaConfiguration.topicPartitions
        let replication = replicationFactor ?? self.kafkaConfiguration.topicReplicationFactor ?? -1
        if let mockCluster = self.mockCluster {
            // librdkafka's mock cluster does not answer CreateTopics; it creates topics through its own API.
            try await mockCluster.createTopic(topic, partitions: count, replicationFactor: max(1, replication))
            return
        }
        let timeout = Int32(clamping: KafkaConfiguration.milliseconds(self.kafkaConfiguration.connectTimeout))
        try await DedicatedThread.run("mb-kafka-admin") {
            try RDKafkaAdmin.createTopic(
                topic, partitions: count, replicationFactor: replication, configs: configs, on: client,
                timeoutMilliseconds: timeout)
        }
    }

    /// Deletes `topic` and everything in it (Admin API `DeleteTopics`; librdkafka's mock cluster does not
    /// implement it).
    public func deleteTopic(_ topic: String) async throws {
        try self.publisher.ensureOpen()
        try DestinationName.validate(topic)
        let client = self.publisher.producer.client
        let timeout = Int32(clamping: KafkaConfiguration.milliseconds(self.kafkaConfiguration.connectTimeout))
        try await DedicatedThread.run("mb-kafka-admin") {
            try RDKafkaAdmin.deleteTopic(topic, on: client, timeoutMilliseconds: timeout)
        }
    }

    /// Every topic of the cluster and its partition count, sorted by name (internal topics such as
    /// `__consumer_offsets` included, as the broker reports them).
    public func listTopics() async throws -> [KafkaTopicSummary] {
        try self.publisher.ensureOpen()
        let client = self.publisher.producer.client
        let timeout = Int32(clamping: KafkaConfiguration.milliseconds(self.kafkaConfiguration.connectTimeout))
        let topics = try await DedicatedThread.run("mb-kafka-admin") {
            try client.topics(timeoutMilliseconds: timeout)
        }
        return topics.map { KafkaTopicSummary(name: $0.name, partitionCount: $0.partitions) }
    }

    /// The partition count of `topic`, or `nil` when the cluster does not know it (it is not created).
    public func partitionCount(of topic: String) async throws -> Int? {
        try self.publisher.ensureOpen()
        try DestinationName.validate(topic)
        let client = self.publisher.producer.client
        let timeout = Int32(clamping: KafkaConfiguration.milliseconds(self.kafkaConfiguration.connectTimeout))
        return try await DedicatedThread.run("mb-kafka-admin") {
            try client.partitionCount(of: topic, timeoutMilliseconds: timeout)
        }
    }

    /// How far subscriber group `group` is behind on `destination`, per partition (its committed offsets against
    /// the high watermarks).
    ///
    /// - Throws: ``/MessageBus/MessageBusError/Code/unknownDestination`` when the topic does not exist.
    public func consumerLag(group: String, destination: String) async throws -> [KafkaPartitionLag] {
        guard let partitions = try await self.partitionCount(of: destination) else {
            throw MessageBusError(.unknownDestination, "topic '\(destination)' does not exist")
        }
        try DestinationName.validate(group, role: "group")
        let groupID = self.kafkaConfiguration.groupNaming.groupID(group: group, destination: destination)
        let properties = self.kafkaConfiguration.commonProperties(clientName: self.configuration.clientName)
            + self.kafkaConfiguration.sortedAdditionalProperties
        let timeout = Int32(clamping: KafkaConfiguration.milliseconds(self.kafkaConfiguration.connectTimeout))
        let entries = try await DedicatedThread.run("mb-kafka-admin") {
            try RDKafkaAdmin.committedAndHighWatermarks(
                topic: destination, partitions: partitions, groupID: groupID, properties: properties,
                timeoutMilliseconds: timeout)
        }
        return entries.map {
            KafkaPartitionLag(partition: $0.partition, committedOffset: $0.committed, highWatermark: $0.highWatermark)
        }
    }
}
