import MessageBus

/// What a consumer thread reports to, and asks of, the subscription that owns it. Every call comes from the
/// consumer thread; implementations must be thread-safe.
protocol RDKafkaConsumerOwner: AnyObject, Sendable {
    /// How many more records the subscription can take now without exceeding its in-flight limit.
    func availableRoom() -> Int
    /// The committable offsets acknowledged since the last call, to store with librdkafka (which commits stored
    /// offsets periodically, on revoke and on close).
    func takeOffsetsToStore() -> [(KafkaTopicPartition, Int64)]
    /// A builder for the deliveries of the next poll; `nil` once the subscription is closed.
    func deliveryBuilder() -> KafkaDeliveryBuilder?
    /// Deliveries of one poll, in poll order; `lastTag` is the tag of the last delivery the builder made.
    func received(_ deliveries: [KafkaPendingDelivery], lastTag: UInt64)
    /// Partitions were assigned (and their start offsets resolved): deliveries from them may follow.
    func assigned(_ partitions: [KafkaTopicPartition])
    /// Partitions are being revoked: drop their buffered deliveries before they move to another member.
    /// Drops what the revoked partitions buffered; returns, per partition, the lowest offset polled but never
    /// handed to the application (also for what a close dropped), which must not count as delivered.
    func revoking(_ partitions: [KafkaTopicPartition]) -> [KafkaTopicPartition: Int64]
    /// The consumer failed for good (a fatal librdkafka error).
    func failed(_ error: MessageBusError)
    /// The messages waiting for the group on the assigned partitions beyond what was polled (high watermarks less
    /// positions), sampled about once a second.
    func sampled(lag: Int)
}
