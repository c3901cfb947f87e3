public import MessageBus

extension Subscription {
    /// Moves a Kafka subscription to another position in its topic: every assigned partition, or only
    /// `partition`.
    ///
    /// Deliveries buffered or handed out from the moved partitions are dropped (settling them later commits
    /// nothing); acknowledgements after the seek commit from the new position, so seeking back makes the group
    /// read those records again, and seeking forward skips records for good once later ones are acknowledged.
    ///
    /// - Parameters:
    ///   - position: Where to move.
    ///   - partition: One partition, or `nil` for every partition assigned to this member.
    ///   - timeout: How long the seek may take.
    /// - Returns: The partitions moved (none when the member has no assignment).
    /// On a subscription to several topics (``KafkaMessageBus/subscribe(toTopics:group:options:)`` or a pattern),
    /// offsets and partition numbers name no topic: only `.beginning`, `.end` and `.timestamp` of every partition
    /// are accepted.
    ///
    /// - Throws: ``/MessageBus/MessageBusError/Code/unsupported`` for a subscription of another backend, and
    ///   ``/MessageBus/MessageBusError/Code/invalidConfiguration`` for an offset or a partition on a multi-topic
    ///   subscription.
    @discardableResult
    public func seek(to position: KafkaSeekPosition, partition: Int32? = nil, timeout: Duration = .seconds(10))
        async throws -> [Int32]
    {
        guard let settler = self.context.settler as? KafkaDeliverySettler, let consumer = settler.subscriptionConsumer
        else {
            throw MessageBusError(.unsupported, "seek(to:) needs a Kafka subscription, not the \(self.context)")
        }
        if settler.isMultiTopic {
            if case .offset = position {
                throw MessageBusError.invalidConfiguration(
                    key: "position", value: "\(position)",
                    expected: ".beginning, .end or .timestamp on a subscription to several topics (an offset names no topic)")
            }
            if let partition {
                throw MessageBusError.invalidConfiguration(
                    key: "partition", value: "\(partition)",
                    expected: "nil on a subscription to several topics (a partition number names no topic)")
            }
        }
        return try await consumer.seek(to: position, partition: partition, timeout: timeout).map(\.partition)
    }
}
