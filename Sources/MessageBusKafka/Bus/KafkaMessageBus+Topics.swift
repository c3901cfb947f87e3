public import MessageBus

extension KafkaMessageBus {
    /// Joins one consumer group on several topics at once and returns once the group has assigned this member its
    /// partitions of all of them.
    ///
    /// Each delivery carries its own topic: ``/MessageBus/Delivery/destination`` is the topic it was read from,
    /// ``/MessageBus/Delivery/reject(reason:)`` dead-letters to `<topic>.dlq` (unless
    /// ``/MessageBus/SubscriptionOptions/deadLetterDestination`` names one destination for all), and
    /// acknowledgements commit per topic and partition. The subscription's own
    /// ``/MessageBus/Subscription/context`` names the topics, sorted and joined with `,`; with
    /// ``KafkaGroupNaming/scopedByDestination(prefix:)`` the group id is
    /// `<prefix><topics sorted, joined with ','>.<group>`, so the same topics in any order are one group.
    ///
    /// - Parameters:
    ///   - topics: The topics; created first when ``KafkaConfiguration/createTopics`` is on. Repeated names count once.
    ///   - group: The subscriber group; `nil` for a broadcast subscription (a group of its own, at the end).
    ///   - options: Start position, prefetch and dead-letter destination.
    /// - Throws: ``/MessageBus/MessageBusError/Code/invalidConfiguration`` naming an empty list or a topic or group
    ///   name that is not portable, ``/MessageBus/MessageBusError/Code/unknownDestination`` for a missing topic when
    ///   topics are not created, ``/MessageBus/MessageBusError/Code/timeout`` when no assignment arrives within
    ///   ``KafkaConfiguration/groupJoinTimeout``, and ``/MessageBus/MessageBusError/Code/closed`` once the bus is
    ///   closed.
    public func subscribe(
        toTopics topics: [String], group: String?, options: SubscriptionOptions = SubscriptionOptions()
    ) async throws -> Subscription {
        try await self.subscribe(.topics(topics), group: group, options: options)
    }

    /// Joins one consumer group on every topic whose name matches a regular expression, and returns once the group
    /// has assigned this member its partitions of the topics that match now.
    ///
    /// This is librdkafka's pattern subscription: `pattern` must start with `^`. Topics created later are picked
    /// up when librdkafka next refreshes its metadata (`topic.metadata.refresh.interval.ms`, pass it as a URL
    /// option to shorten the wait); no topic is created. Deliveries carry their own topic, as with
    /// ``subscribe(toTopics:group:options:)``; the subscription's context and the scoped group id use the pattern.
    /// Rejected messages of every topic go to ``/MessageBus/SubscriptionOptions/deadLetterDestination``, which must
    /// be given and must not match the pattern: the default `<topic>.dlq` of a matching topic could match it too,
    /// and the group would read its own rejects again.
    ///
    /// - Parameters:
    ///   - pattern: A regular expression starting with `^` (POSIX extended syntax, as librdkafka reads it), for
    ///     example `^orders\..*`.
    ///   - group: The subscriber group; `nil` for a broadcast subscription.
    ///   - options: Start position, prefetch and dead-letter destination.
    /// - Throws: ``/MessageBus/MessageBusError/Code/invalidConfiguration`` naming a pattern without the leading `^` or
    ///   one that does not compile, or a dead-letter destination that is missing or matches the pattern; and the errors
    ///   of ``subscribe(toTopics:group:options:)``.
    public func subscribe(
        matching pattern: String, group: String?, options: SubscriptionOptions = SubscriptionOptions()
    ) async throws -> Subscription {
        try await self.subscribe(.pattern(pattern), group: group, options: options)
    }
}
