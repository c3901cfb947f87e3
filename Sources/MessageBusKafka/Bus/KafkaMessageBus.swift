public import Logging
public import MessageBus
import Foundation
import Synchronization

/// The Kafka backend: a ``/MessageBus/MessageBus`` on librdkafka.
///
/// Destinations are topics (created on first use, see ``KafkaConfiguration/createTopics``); a subscriber group is a
/// Kafka consumer group (named as ``KafkaConfiguration/groupNaming`` says); a broadcast subscription is a consumer
/// group of its own that starts at the end of the log. Each subscription is a group member polling on a thread of
/// its own; acknowledgements commit, per partition, the offset below which everything is acknowledged.
///
/// Open one with ``/MessageBus/MessageBusConnector/connect(to:configuration:backends:logger:)`` and
/// ``MessageBus/MessageBusBackend/kafka`` (`kafka://host:9092`, or `kafka-mock://` for librdkafka's in-process mock
/// cluster), or with ``init(kafka:configuration:logger:mockCluster:)``.
public final class KafkaMessageBus: MessageBus {
    /// The in-flight limit of a subscription whose options leave it `nil`: larger than RabbitMQ's, because a
    /// partition has one consumer in its group (nothing is shared by it) and a window of 256 made the consumer
    /// thread wait for the application's acknowledgements so often that the hand-off set the pace.
    public static let defaultPrefetch = 1024

    /// `kafka`.
    public let backend = "kafka"
    /// Transactions, per-key ordering, replay and dead-lettering; fault injection too on a mock cluster.
    public let capabilities: MessageBusCapabilities
    /// The configuration the bus was opened with.
    public let configuration: MessageBusConfiguration
    /// The Kafka settings the bus was opened with.
    public let kafkaConfiguration: KafkaConfiguration
    /// The in-process mock cluster the bus talks to, when it was opened on one.
    public let mockCluster: KafkaMockCluster?

    let publisher: KafkaPublisher
    let logger: Logger
    /// The open subscriptions, for ``close(deadline:)``; held weakly, so that a subscription its user drops without
    /// cancelling it goes away (and its consumer thread ends) while the bus lives on.
    private let subscriptions = Mutex<[ObjectIdentifier: WeakSubscription]>([:])
    let transactions: KafkaTransactionCoordinator?
    private let transactionNesting = TransactionNesting()

    /// Opens a bus on a Kafka cluster: creates the producer and waits until a broker answers.
    ///
    /// - Parameters:
    ///   - kafka: The Kafka settings.
    ///   - configuration: The settings every backend honours.
    ///   - logger: Where the bus logs; librdkafka's own log lines go there too.
    ///   - mockCluster: The mock cluster `kafka` points at, kept alive by the bus.
    /// - Throws: ``/MessageBus/MessageBusError/Code/invalidConfiguration`` for a setting or librdkafka property that is
    ///   out of range, ``/MessageBus/MessageBusError/Code/connectionFailed`` when no broker answers within
    ///   ``KafkaConfiguration/connectTimeout``, and ``/MessageBus/MessageBusError/Code/unsupported`` for
    ///   ``/MessageBus/DeliveryGuarantee/exactlyOnce`` on a broker that fails ``checkTransactionIsolation()``.
    public init(
        kafka: KafkaConfiguration,
        configuration: MessageBusConfiguration = MessageBusConfiguration(),
        logger: Logger,
        mockCluster: KafkaMockCluster? = nil
    ) async throws {
        var capabilities: MessageBusCapabilities = [.transactions, .perKeyOrdering, .replay, .delayedRedelivery, .deadLettering]
        if mockCluster != nil { capabilities.insert(.faultInjection) }
        self.capabilities = capabilities
        try kafka.validate()
        try configuration.validate(against: capabilities, backend: "kafka")
        self.configuration = configuration
        self.kafkaConfiguration = kafka
        self.mockCluster = mockCluster
        var logger = logger
        logger[metadataKey: MessageBusLoggingKeys.backend] = "kafka"
        self.logger = logger
        let producer = try RDKafkaProducer(
            properties: kafka.producerProperties(
                clientName: configuration.clientName, messageTimeout: configuration.publishTimeout),
            logger: logger, messageMaxBytes: kafka.messageMaxBytes, tokenProvider: kafka.security.sasl?.tokenProvider)
        let servers = kafka.bootstrapServers.joined(separator: ",")
        let timeout = Int32(clamping: KafkaConfiguration.milliseconds(kafka.connectTimeout))
        do {
            try await DedicatedThread.run("mb-kafka-open") {
                try producer.client.requireReachable(bootstrapServers: servers, timeoutMilliseconds: timeout)
            }
        } catch {
            _ = await producer.close(timeout: .zero)
            throw error
        }
        let topics = KafkaTopicRegistry(
            client: producer.client, configuration: kafka, lookupPatience: configuration.publishTimeout,
            mockCluster: mockCluster)
        self.publisher = KafkaPublisher(
            producer: producer, topics: topics, publishTimeout: configuration.publishTimeout,
            published: PublishedCounter(backend: "kafka", configuration: configuration))
        if configuration.guarantee.kind == .exactlyOnce {
            self.transactions = KafkaTransactionCoordinator(
                kafka: kafka, configuration: configuration, publisher: self.publisher, logger: logger)
            do {
                if kafka.requiresVerifiedTransactionIsolation { try await self.requireTransactionIsolation() }
            } catch {
                _ = self.publisher.close()
                _ = await producer.close(timeout: .seconds(1))
                throw error
            }
        } else {
            self.transactions = nil
        }
        logger.debug("opened Kafka bus", metadata: ["bootstrap": .string(servers)])
    }

    // MARK: Publishing

    /// Publishes `messages` to topic `destination` and returns once librdkafka reported every one delivered
    /// (`acks` as configured); see ``/MessageBus/MessageBus/publish(contentsOf:to:)``. Keyless messages of one call
    /// share a partition, so they keep their order.
    public func publish(contentsOf messages: [Message], to destination: String) async throws {
        try await self.publisher.publish(messages, to: destination)
    }

    /// Hands `messages` to librdkafka without waiting for their delivery reports; ``flush()`` waits for them.
    public func send(contentsOf messages: [Message], to destination: String) async throws {
        try await self.publisher.send(messages, to: destination)
    }

    /// Hands one message to librdkafka without waiting for its delivery report: one `rd_kafka_produceva` call, with
    /// no batch around it; ``flush()`` waits for the report.
    public func send(_ message: Message, to destination: String) async throws {
        try await self.publisher.send(message, to: destination)
    }

    /// Waits for the delivery reports of everything sent; throws the first failure since the last flush.
    public func flush() async throws {
        try self.publisher.ensureOpen()
        try await self.publisher.producer.flushSent()
    }

    // MARK: Subscribing

    /// Joins the consumer group for `group` on topic `destination` (a group of its own, starting at the end, when
    /// `group` is `nil`) and returns once the group has assigned this member its partitions and start offsets.
    ///
    /// - Throws: ``/MessageBus/MessageBusError/Code/timeout`` when no assignment arrives within
    ///   ``KafkaConfiguration/groupJoinTimeout``, and the errors of
    ///   ``/MessageBus/MessageBus/subscribe(to:group:options:)``.
    public func subscribe(
        to destination: String, group: String?, options: SubscriptionOptions
    ) async throws -> Subscription {
        try await self.subscribe(.topics([destination]), group: group, options: options)
    }

    /// What a subscription reads.
    enum SubscriptionTopics {
        /// These topics (created first when ``KafkaConfiguration/createTopics`` is on).
        case topics([String])
        /// Every topic whose name matches a regular expression (librdkafka's `^`-prefixed subscription).
        case pattern(String)

        /// How the subscription names what it reads: the destination, or the topics (joined with `,`), or the
        /// pattern; the scoped group id and the subscription's context use it.
        var label: String {
            switch self {
            case .topics(let topics): topics.joined(separator: ",")
            case .pattern(let pattern): pattern
            }
        }
    }

    func subscribe(_ target: SubscriptionTopics, group: String?, options: SubscriptionOptions) async throws -> Subscription {
        try self.publisher.ensureOpen()
        let topics: [String]
        var target = target
        switch target {
        case .topics(let names):
            guard !names.isEmpty else {
                throw MessageBusError.invalidConfiguration(key: "topics", value: "[]", expected: "at least one topic")
            }
            for name in names { try DestinationName.validate(name, role: names.count == 1 ? "destination" : "topic") }
            topics = Array(Set(names)).sorted()
            // The same topics in any order (or repeated) are the same group.
            target = .topics(topics)
        case .pattern(let pattern):
            try Self.validate(pattern: pattern, deadLetterDestination: options.deadLetterDestination)
            topics = [pattern]
        }
        if let group { try DestinationName.validate(group, role: "group") }
        try options.validate(against: self.capabilities, backend: self.backend)
        if case .topics = target {
            for topic in topics { _ = try await self.publisher.topics.partitionCount(of: topic) }
        }
        let label = target.label
        let groupID = group.map { self.kafkaConfiguration.groupNaming.groupID(group: $0, destination: label) }
            ?? "messagebus-broadcast-\(label)-\(UUID().uuidString.lowercased())"
        // A group reads its own retry topic besides its topics (created like them, before the group joins, so that
        // its first requeue has somewhere to go).
        let retryRoute = KafkaRetryRoute(groupID: groupID, topic: group.map { KafkaRetryRoute.topic(label: label, group: $0) })
        var consumedTopics = topics
        if let retryTopic = retryRoute.topic {
            _ = try await self.publisher.topics.partitionCount(of: retryTopic)
            consumedTopics.append(retryTopic)
        }
        let start = Self.startOffset(options.effectiveStartPosition(group: group))
        let subscription = KafkaSubscription(
            prefetch: options.effectivePrefetch(default: Self.defaultPrefetch), requiresAcknowledgement: self.configuration.guarantee.requiresAcknowledgement
        ) { [weak self] subscription in
            self?.subscriptions.withLock { _ = $0.removeValue(forKey: ObjectIdentifier(subscription)) }
        }
        let settler = KafkaDeliverySettler(subscription: subscription, publisher: self.publisher, retryRoute: retryRoute)
        let context = SubscriptionContext(
            backend: backend, destination: label, group: group, options: options, configuration: configuration,
            settler: settler, logger: logger)
        let makeContext = { @Sendable [backend, configuration, logger] (destination: String) in
            SubscriptionContext(
                backend: backend, destination: destination, group: group, options: options,
                configuration: configuration, settler: settler, logger: logger, sharingDeduplicationWith: context)
        }
        let isSingleTopic = if case .topics(let names) = target { names.count == 1 } else { false }
        subscription.attach(context: context, perTopic: isSingleTopic ? nil : makeContext)
        let consumer = try RDKafkaConsumer(
            properties: self.kafkaConfiguration.consumerProperties(
                clientName: self.configuration.clientName, groupID: groupID, start: start),
            topics: consumedTopics,
            settings: .init(
                start: start, commitBeforeDelivery: !self.configuration.guarantee.requiresAcknowledgement,
                maxBatch: 1000, lookupTimeoutMilliseconds: Int32(clamping: KafkaConfiguration.milliseconds(self.kafkaConfiguration.connectTimeout)),
                groupID: groupID, groupIsOwn: group == nil),
            owner: subscription, logger: context.logger, tokenProvider: self.kafkaConfiguration.security.sasl?.tokenProvider)
        subscription.attach(consumer: consumer)
        self.subscriptions.withLock { subscriptions in
            subscriptions = subscriptions.filter { $0.value.subscription != nil }
            subscriptions[ObjectIdentifier(subscription)] = WeakSubscription(subscription: subscription)
        }
        let joinTimeout = self.kafkaConfiguration.groupJoinTimeout
        do {
            guard try await subscription.assignedSignal.value(timeout: joinTimeout) != nil else {
                throw MessageBusError(
                    .timeout,
                    "the consumer group '\(groupID)' for '\(label)' assigned no partitions within \(joinTimeout); "
                        + "check the broker at \(self.kafkaConfiguration.bootstrapServers.joined(separator: ",")) "
                        + "and KafkaConfiguration.sessionTimeout")
            }
        } catch {
            await subscription.close(timeout: .seconds(10))
            throw error
        }
        context.logger.debug("subscribed", metadata: ["kafka.group_id": .string(groupID)])
        return Subscription(source: subscription, context: context)
    }

    /// Throws ``MessageBusError/Code/invalidConfiguration`` naming `pattern` unless it is a `^`-prefixed regular
    /// expression that compiles (librdkafka treats only `^`-prefixed names as patterns, and would otherwise
    /// subscribe to a topic of that literal name).
    /// Checks a pattern subscription: a pattern librdkafka takes, and a dead-letter destination it does not match
    /// (a default `<topic>.dlq` of a matching topic may well match it too, and rejected messages would come back
    /// to the same group as new ones).
    static func validate(pattern: String, deadLetterDestination: String?) throws(MessageBusError) {
        guard pattern.hasPrefix("^"), pattern.utf8.count > 1, pattern.utf8.count <= 1000 else {
            throw MessageBusError.invalidConfiguration(
                key: "pattern", value: pattern, expected: "a regular expression starting with '^' (at most 1,000 bytes)")
        }
        guard let expression = try? NSRegularExpression(pattern: pattern) else {
            throw MessageBusError.invalidConfiguration(
                key: "pattern", value: pattern, expected: "a regular expression that compiles")
        }
        guard let deadLetterDestination else {
            throw MessageBusError.invalidConfiguration(
                key: "deadLetterDestination", value: "nil",
                expected: "a dead-letter destination that pattern '\(pattern)' does not match, for a pattern "
                    + "subscription (the default '<topic>.dlq' of a matching topic may match it, and rejected "
                    + "messages would come back to the group)")
        }
        let whole = NSRange(deadLetterDestination.startIndex..., in: deadLetterDestination)
        if expression.firstMatch(in: deadLetterDestination, range: whole) != nil {
            throw MessageBusError.invalidConfiguration(
                key: "deadLetterDestination", value: deadLetterDestination,
                expected: "a destination that pattern '\(pattern)' does not match (rejected messages would come back "
                    + "to the group)")
        }
    }

    static func startOffset(_ position: StartPosition) -> KafkaStartOffset {
        switch position {
        case .earliest: .earliest
        case .latest: .latest
        case .offset(let offset): .offset(offset)
        case .timestamp(let date): .timestamp(Int64((date.timeIntervalSince1970 * 1000).rounded()))
        }
    }

    /// The subscriptions of this bus that are still alive (not yet released by their users); a hook for the tests
    /// that check that a dropped subscription goes away.
    var liveSubscriptions: [KafkaSubscription] {
        self.subscriptions.withLock { $0.values.compactMap(\.subscription) }
    }

    // MARK: Lifecycle

    /// Returns once a broker answered a metadata request within ``KafkaConfiguration/connectTimeout``.
    public func checkReadiness() async throws {
        try self.publisher.ensureOpen()
        let client = self.publisher.producer.client
        let servers = self.kafkaConfiguration.bootstrapServers.joined(separator: ",")
        let timeout = Int32(clamping: KafkaConfiguration.milliseconds(self.kafkaConfiguration.connectTimeout))
        try await DedicatedThread.run("mb-kafka-ready") {
            try client.requireReachable(bootstrapServers: servers, timeoutMilliseconds: timeout)
        }
    }

    /// Ends every subscription (committing what was acknowledged and leaving the groups), then flushes the
    /// producer within what is left of `deadline` and destroys the clients.
    ///
    /// A cancelled task cuts the waiting short, as if `deadline` had passed: subscriptions are asked to leave their
    /// groups without being waited for, sent records not yet delivered are dropped, and the clients are still
    /// destroyed; then the call throws `CancellationError`.
    ///
    /// - Throws: ``/MessageBus/MessageBusError/Code/timeout`` naming how many sent records were not delivered in time,
    ///   or `CancellationError` when the task was cancelled.
    public func close(deadline: Duration) async throws {
        guard self.publisher.close() else { return }
        let end = ContinuousClock.now.advanced(by: deadline)
        let open = self.subscriptions.withLock { subscriptions in
            defer { subscriptions.removeAll() }
            return subscriptions.values.compactMap(\.subscription)
        }
        await withTaskGroup(of: Void.self) { group in
            for subscription in open {
                group.addTask { await subscription.close(timeout: max(.seconds(1), end - .now)) }
            }
        }
        await self.transactions?.close()
        let undelivered = await self.publisher.producer.close(timeout: max(.zero, end - .now))
        self.logger.debug(
            "closed Kafka bus", metadata: ["subscriptions": "\(open.count)", "undelivered": "\(undelivered)"])
        try Task.checkCancellation()
        if undelivered > 0 {
            throw MessageBusError(
                .timeout, "\(undelivered) sent records were not delivered within the close deadline of \(deadline)")
        }
    }
}

extension KafkaMessageBus {
    /// Runs `body` in a Kafka transaction on the bus's transactional producer; see
    /// ``/MessageBus/MessageBus/withTransaction(_:)``.
    ///
    /// - Throws: ``/MessageBus/MessageBusError/Code/unsupported`` unless the bus was opened with
    ///   ``/MessageBus/DeliveryGuarantee/exactlyOnce``; ``/MessageBus/MessageBusError/Code/transactionAborted`` when
    ///   the transaction failed in a way that aborting recovers from (it was aborted, its acknowledged deliveries went
    ///   back to their groups: run it again); ``/MessageBus/MessageBusError/Code/closed`` when the transactional
    ///   producer was fenced by a newer one with the same transactional id (or failed fatally): this and every later
    ///   transaction of the bus fail at once with that error, and only a new bus can run transactions again. Errors
    ///   librdkafka calls retriable are retried inside.
    public func withTransaction<Result: Sendable>(
        _ body: (any MessageBusTransaction) async throws -> Result
    ) async throws -> Result {
        try self.publisher.ensureOpen()
        guard let transactions = self.transactions else {
            throw MessageBusError(
                .unsupported, "transactions need the .exactlyOnce guarantee; this bus is \(self.configuration.guarantee)")
        }
        return try await self.transactionNesting.run { try await transactions.run(body) }
    }
}

/// A subscription the bus knows of without keeping it alive.
private struct WeakSubscription: Sendable {
    weak let subscription: KafkaSubscription?
}
