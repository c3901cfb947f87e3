public import Logging
public import MessageBus
import Synchronization

/// The RabbitMQ backend: a ``/MessageBus/MessageBus`` on one AMQP 0-9-1 connection through rabbitmq-c.
///
/// ## Mapping
/// A destination `orders` is the durable topic exchange `orders`. A group `billing` is the durable queue
/// `orders.billing` (a quorum queue by default, see ``RabbitMQConfiguration/groupQueueType``) bound with `#`; a
/// broadcast subscription gets an exclusive, auto-deleted, server-named queue bound with `#`. The message key is
/// the routing key; the id, content type, correlation id and timestamp are the AMQP properties of those names, and
/// headers are the AMQP headers table, in order; the other AMQP properties are set through
/// ``publish(contentsOf:to:options:)``. Publishing waits for publisher confirms (pipelined, one wait per batch)
/// and marks messages persistent; a `basic.nack` fails the publish with `.brokerError`, and a mandatory publish
/// that reaches no queue with `.unroutable` (``RabbitMQConfiguration/mandatory``). The prefetch is `basic.qos`;
/// ack, requeue and discard are `basic.ack` and `basic.nack` (with `multiple` where that is exact).
/// ``/MessageBus/Delivery/reject(reason:)`` publishes a copy with the dead-letter headers to the exchange
/// `<destination>.dlq` (declared on subscribe), waits for its confirm, then acknowledges the original.
///
/// ## Start positions
/// A group's queue exists from the first `subscribe` of that group (which returns once it is declared and bound)
/// and keeps what is published from then on. So for a new group `.earliest` and `.latest` both mean "from now":
/// RabbitMQ drops what was published while no queue was bound. An existing group resumes where it left off.
/// The portable ``/MessageBus/MessageBusCapabilities/replay`` is not claimed; RabbitMQ's replay is a stream queue,
/// consumed from a position with ``subscribe(toQueue:options:streamOffset:)``.
///
/// ## Beyond the common interface
/// The whole routing model (``declare(_:)-(RabbitMQExchange)``, ``declare(_:)-(RabbitMQQueue)``, ``bind(_:)``,
/// deletes and passive checks), queue and stream consumers, `basic.get` (``get(from:)``), request/response on
/// direct reply-to (``request(_:to:timeout:)``, ``reply(to:with:)``) and ``connectionEvents()``.
///
/// ## Recovery
/// On by default (``RabbitMQConfiguration/recovery``): a lost connection is re-established with backoff across the
/// endpoints, every exchange, queue and binding declared through the bus is declared again, consumers restart,
/// and unconfirmed publishes are republished (or fail when recovery gives up; never silently dropped). Deliveries
/// handed out before the loss can no longer be settled (``/MessageBus/MessageBusError/Code/alreadySettled``): the
/// broker redelivers them.
public final class RabbitMQMessageBus: MessageBus {
    /// The `basic.qos` prefetch of a subscription whose options leave it `nil`. It also decides how evenly a queue's
    /// messages spread over the group's consumers, so it stays in the range RabbitMQ's guides recommend.
    public static let defaultPrefetch = 256

    /// `rabbitmq`.
    public let backend = "rabbitmq"
    /// Dead-lettering. No broker transactions (so no exactly-once), no replay from an offset, and no per-key
    /// ordering promise: competing consumers and requeues reorder messages.
    public let capabilities: MessageBusCapabilities = [.delayedRedelivery, .deadLettering]
    /// The configuration the bus was opened with.
    public let configuration: MessageBusConfiguration
    /// The RabbitMQ settings the bus was opened with.
    public let rabbitMQConfiguration: RabbitMQConfiguration

    let queue: CommandQueue
    let owner: AMQPConnectionOwner
    let poller: RabbitMQPoller
    let logger: Logger
    private let isClosed = Atomic(false)
    /// The retry queues this bus has declared (``RabbitMQRedelivery``), so that each is declared once.
    let declaredRetryQueues = Mutex<Set<String>>([])
    /// `messagebus.published`.
    let published: PublishedCounter
    private let nextSubscriptionID = Atomic<UInt64>(1)

    /// Connects to RabbitMQ.
    ///
    /// - Parameters:
    ///   - rabbitMQ: Where and how to connect.
    ///   - configuration: The settings every backend honours.
    ///   - logger: Where the bus logs (connection, recovery, consumer cancellation); never a password.
    /// - Throws: ``/MessageBus/MessageBusError`` with `.unsupported` for exactly-once, `.invalidConfiguration` for a
    ///   setting out of range or a missing vhost, `.authenticationFailed` for refused credentials and
    ///   `.connectionFailed` when no endpoint answers within the connection timeout; `CancellationError` when the
    ///   task is cancelled first (a connection that opens after that is closed at once).
    public init(
        rabbitMQ: RabbitMQConfiguration, configuration: MessageBusConfiguration = MessageBusConfiguration(),
        logger: Logger
    ) async throws {
        try configuration.validate(against: self.capabilities, backend: "rabbitmq")
        try rabbitMQ.validate()
        var logger = logger
        logger[metadataKey: MessageBusLoggingKeys.backend] = "rabbitmq"
        self.logger = logger
        self.published = PublishedCounter(backend: "rabbitmq", configuration: configuration)
        self.configuration = configuration
        self.rabbitMQConfiguration = rabbitMQ
        self.owner = try await Self.connect(
            rabbitMQ, connectionName: rabbitMQ.connectionName ?? configuration.clientName,
            publishTimeout: configuration.publishTimeout, logger: logger)
        self.queue = self.owner.queue
        self.poller = RabbitMQPoller(
            subscriptionID: 0, tracksSettlement: configuration.guarantee.requiresAcknowledgement)
        self.logger.debug("opened RabbitMQ bus", metadata: ["broker": "\(rabbitMQ)"])
    }

    /// Starts the connection's owner thread and waits until it has connected.
    ///
    /// A cancelled task stops waiting at once (`CancellationError`); the connect goes on in a task of its own, and
    /// a connection it opens is closed at once, so a cancelled open leaves no connection or thread behind.
    private static func connect(
        _ rabbitMQ: RabbitMQConfiguration, connectionName: String, publishTimeout: Duration, logger: Logger
    ) async throws -> AMQPConnectionOwner {
        let opened = AsyncOneShot<AMQPConnectionOwner>()
        Task {
            do {
                opened.fulfill(.success(try await AMQPConnectionOwner.start(
                    configuration: rabbitMQ, connectionName: connectionName, publishTimeout: publishTimeout,
                    logger: logger)))
            } catch {
                opened.fulfill(.failure(error))
            }
        }
        do {
            return try await opened.value
        } catch is CancellationError {
            Task {
                guard let owner = try? await opened.value else { return }
                await owner.queue.submit(.close(deadline: .now, completion: { _ in }))
            }
            throw CancellationError()
        }
    }

    /// Connects to the broker an `amqp://` or `amqps://` URL names; see ``RabbitMQConfiguration/init(url:)``.
    public convenience init(url: MessageBusURL, configuration: MessageBusConfiguration, logger: Logger) async throws {
        try await self.init(rabbitMQ: RabbitMQConfiguration(url: url), configuration: configuration, logger: logger)
    }

    public func publish(contentsOf messages: [Message], to destination: String) async throws {
        try await self.publish(contentsOf: messages, to: destination, options: RabbitMQPublishOptions())
    }

    public func send(contentsOf messages: [Message], to destination: String) async throws {
        try await self.send(contentsOf: messages, to: destination, options: RabbitMQPublishOptions())
    }

    /// Hands a batch to the owner thread; `done` is `nil` for `send`, whose failures a later `flush` reports.
    /// `checkingDestination` is off only for replies, which go through the default exchange (named "").
    func submitPublish(
        _ messages: [Message], to destination: String, options: RabbitMQPublishOptions, done: AsyncOneShot<Void>?,
        checkingDestination: Bool = true
    ) async throws {
        try self.ensureOpen()
        if checkingDestination { try DestinationName.validate(destination) }
        try options.properties.validate()
        let request = PublishRequest(
            exchange: destination, messages: messages.withCurrentTraceContext(),
            deadline: .now + self.configuration.publishTimeout,
            mandatory: options.mandatory ?? self.rabbitMQConfiguration.mandatory,
            properties: options.properties.isEmpty ? nil : options.properties,
            completion: Self.completion(of: done))
        // Cancelled while the publish lane was full: nothing of the batch was queued.
        guard await self.queue.submit(.publish(request)) else { throw CancellationError() }
    }

    public func flush() async throws {
        try self.ensureOpen()
        let done = AsyncOneShot<Void>()
        guard await self.queue.submit(.flush { done.fulfill($0) }) else { throw CancellationError() }
        try await done.value
    }

    public func subscribe(to destination: String, group: String?, options: SubscriptionOptions) async throws
        -> Subscription
    {
        try self.ensureOpen()
        try DestinationName.validate(destination)
        if let group { try DestinationName.validate(group, role: "group") }
        try options.validate(against: self.capabilities, backend: self.backend)
        let deadLetterDestination = options.deadLetterDestination(for: destination)
        try DestinationName.validate(deadLetterDestination, role: "dead-letter destination")
        if options.startPosition == .latest, group != nil {
            // A group queue keeps what was published since it was first declared; an existing group cannot skip
            // to the end (and a new one starts at its creation for either position).
            self.logger.debug("start position .latest applies only to a new group's first subscription")
        }
        return try await self.startSubscription(
            .destination(
                destination, group: group,
                queue: group.map { RabbitMQName.groupQueue(destination: destination, group: $0) }
                    ?? RabbitMQName.broadcastQueue(destination: destination),
                deadLetterExchange: deadLetterDestination),
            destination: destination,
            group: group, options: options, deadLetterDestination: deadLetterDestination)
    }

    /// Starts a consumer on the owner thread and wraps it as a ``MessageBus/Subscription``.
    ///
    /// - Parameters:
    ///   - source: What to consume.
    ///   - destination: What the deliveries report as their destination.
    ///   - group: The group, `nil` for broadcast or a queue subscription.
    ///   - options: The subscription's options.
    ///   - deadLetterDestination: Where rejected deliveries are copied; `nil` to let the queue dead-letter them.
    func startSubscription(
        _ source: SubscribeRequest.Source, destination: String, group: String?, options: SubscriptionOptions,
        deadLetterDestination: String?
    ) async throws -> Subscription {
        let id = self.nextSubscriptionID.add(1, ordering: .relaxed).oldValue
        let prefetch = min(options.effectivePrefetch(default: Self.defaultPrefetch), Int(UInt16.max))
        let inbox = RabbitMQInbox(tracksSettlement: self.configuration.guarantee.requiresAcknowledgement, prefetch: prefetch)
        let done = AsyncOneShot<Void>()
        await self.queue.submit(.subscribe(SubscribeRequest(
            subscriptionID: id, source: source, prefetch: prefetch, inbox: inbox,
            completion: { done.fulfill($0) })))
        do {
            try await done.value
        } catch is CancellationError {
            self.cancelAbandonedSubscription(id, inbox: inbox, started: done)
            throw CancellationError()
        }
        let ownQueue: String? =
            if case .destination(_, _, let queue, _) = source { queue } else { nil }
        let settler = RabbitMQSettler(
            subscriptionID: id, inbox: inbox, destination: destination, group: group,
            deadLetterDestination: deadLetterDestination, ownQueue: ownQueue,
            brokerCountsRequeues: group != nil && self.rabbitMQConfiguration.groupQueueType == .quorum, bus: self)
        let context = SubscriptionContext(
            backend: self.backend, destination: destination, group: group, options: options,
            configuration: self.configuration, settler: settler, logger: self.logger)
        context.logger.debug("subscribed", metadata: ["prefetch": "\(prefetch)"])
        return Subscription(
            source: RabbitMQDeliverySource(
                subscriptionID: id, inbox: inbox, context: context, queue: self.queue,
                lagSampler: self.lagSampler(for: source, context: context)),
            context: context)
    }

    /// How often a subscription's lag (the messages ready in its queue) is asked of the broker.
    static let lagSampleInterval = Duration.seconds(5)

    /// Samples the lag of a subscription to a queue with a passive declare every ``lagSampleInterval``; `nil` for
    /// `basic.get` polling, which has no queue of its own.
    private func lagSampler(for source: SubscribeRequest.Source, context: SubscriptionContext) -> LagSampler? {
        let queue: String
        switch source {
        case .destination(_, _, let name, _), .queue(let name, _): queue = name
        case .polling: return nil
        }
        return LagSampler(every: Self.lagSampleInterval, context: context) { [weak self] in
            guard let self else { return 0 }
            // A blocked connection may go unread by the broker: a passive declare would wait on it and, past the
            // request timeout, cost the connection. The sample is skipped instead.
            if self.owner.events.isBlocked { throw LagSampleSkipped() }
            return try await self.inspectQueue(queue).messageCount
        }
    }

    /// A lag sample not taken (the connection is blocked).
    private struct LagSampleSkipped: Error {}

    /// Cancels the consumer of a subscribe whose caller was cancelled while the owner thread was starting it: the
    /// owner goes on with the subscribe, so the consumer is cancelled as soon as it exists, leaving none behind.
    private func cancelAbandonedSubscription(_ id: UInt64, inbox: RabbitMQInbox, started: AsyncOneShot<Void>) {
        let queue = self.queue
        // Not a child of the cancelled task: it waits for the owner's answer, which comes within the request
        // timeout (or when the bus closes).
        Task {
            guard (try? await started.value) != nil else { return }
            let cancelled = AsyncOneShot<Void>()
            await queue.submit(.cancel(subscriptionID: id, completion: { cancelled.fulfill(.success(())) }))
            _ = try? await cancelled.value
            inbox.end()
        }
    }

    /// RabbitMQ has no transactions that give exactly-once; always throws
    /// ``/MessageBus/MessageBusError/Code/unsupported``.
    public func withTransaction<Result: Sendable>(
        _ body: (any MessageBusTransaction) async throws -> Result
    ) async throws -> Result {
        try self.ensureOpen()
        throw MessageBusError(
            .unsupported,
            "the rabbitmq backend has no transactions that give exactly-once; use .effectivelyOnce(deduplicatingWith:)")
    }

    public func checkReadiness() async throws {
        try self.ensureOpen()
        let done = AsyncOneShot<Void>()
        await self.queue.submit(.readiness { done.fulfill($0) })
        try await done.value
    }

    public func close(deadline: Duration) async throws {
        guard self.isClosed.compareExchange(expected: false, desired: true, ordering: .acquiringAndReleasing).exchanged
        else { return }
        let done = AsyncOneShot<Void>()
        await self.queue.submit(.close(deadline: .now + deadline, completion: { done.fulfill($0) }))
        try await done.value
        self.logger.debug("closed RabbitMQ bus")
    }

    func ensureOpen() throws {
        if self.isClosed.load(ordering: .acquiring) { throw MessageBusError.closed("this rabbitmq bus") }
    }

    private static func completion(
        of done: AsyncOneShot<Void>?
    ) -> (@Sendable (Result<Void, MessageBusError>) -> Void)? {
        guard let done else { return nil }
        return { done.fulfill($0) }
    }
}
