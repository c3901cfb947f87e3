public import Logging
import ServiceContextModule
import CoreMetrics
import Synchronization

/// The embedded backend: a broker inside the process, with the same semantics as the real ones.
///
/// Groups, competing consumers, prefetch limits, acknowledgements, redelivery with attempt counts,
/// dead-lettering, start positions, transactions and the guarantees all behave as the conformance suite requires
/// of every backend; it is not a shortcut that ignores acks. Use it for the demo, for unit tests of your own code
/// (with ``simulateConnectionLoss()`` and ``failNextPublishes(_:)`` for fault injection), and as the reference
/// the other backends are held to.
///
/// Every bus opened with the same name (`memory://NAME`, `default` when empty) in one process shares one broker.
public final class InMemoryMessageBus: MessageBus {
    /// The prefetch of a subscription whose options leave it `nil`: RabbitMQ's, whose sharing of a queue among the
    /// group's consumers this backend mirrors.
    public static let defaultPrefetch = 256

    /// What a bus's subscriptions share with it: its identity at the broker and whether it is open.
    final class Identity: Sendable {
        let owner: InMemoryBrokerState.OwnerID
        private let closed = Atomic(false)

        init(owner: InMemoryBrokerState.OwnerID) {
            self.owner = owner
        }

        func ensureOpen() throws(MessageBusError) {
            if self.closed.load(ordering: .acquiring) { throw MessageBusError.closed("this memory:// bus") }
        }

        /// Marks the bus closed; `false` when it already was.
        func close() -> Bool {
            self.closed.compareExchange(expected: false, desired: true, ordering: .acquiringAndReleasing).exchanged
        }
    }

    /// The URL options `memory://NAME?...` accepts: `retention`, the messages each destination keeps for new groups.
    public static let urlOptions: Set<String> = ["retention"]

    /// `memory`.
    public let backend = "memory"
    /// Transactions, per-key ordering, replay, delayed redelivery, dead-lettering and fault injection.
    public let capabilities: MessageBusCapabilities = [
        .transactions, .perKeyOrdering, .replay, .delayedRedelivery, .deadLettering, .faultInjection,
    ]
    /// The configuration the bus was opened with.
    public let configuration: MessageBusConfiguration
    /// The name of the broker this bus shares with every other bus of that name in the process.
    public var brokerName: String { self.broker.name }

    private let broker: InMemoryBroker
    private let identity: Identity
    private let logger: Logger
    private let failingPublishes = Atomic(0)
    private let published: PublishedCounter
    private let transactionNesting = TransactionNesting()

    /// Opens a bus on the in-process broker named `brokerName`.
    ///
    /// - Parameters:
    ///   - brokerName: The broker to share; buses with the same name see the same messages.
    ///   - retention: How many messages each destination keeps for groups that start at ``StartPosition/earliest``
    ///     (used when the broker is first created).
    ///   - configuration: The settings every backend honours.
    ///   - logger: Where the bus logs.
    /// - Throws: ``MessageBusError/Code/invalidConfiguration`` for a retention below 1.
    public init(
        brokerName: String = "default",
        retention: Int = 10_000,
        configuration: MessageBusConfiguration = MessageBusConfiguration(),
        logger: Logger
    ) throws {
        guard retention >= 1 else {
            throw MessageBusError.invalidConfiguration(
                key: "retention", value: String(retention), expected: "an integer of at least 1")
        }
        try configuration.validate(against: self.capabilities, backend: "memory")
        self.configuration = configuration
        self.broker = InMemoryBrokerRegistry.broker(named: brokerName.isEmpty ? "default" : brokerName, retention: retention)
        self.identity = Identity(owner: self.broker.makeOwnerID())
        var logger = logger
        logger[metadataKey: MessageBusLoggingKeys.backend] = "memory"
        self.logger = logger
        self.published = PublishedCounter(backend: "memory", configuration: configuration)
        self.logger.debug("opened in-memory bus", metadata: ["broker": .string(self.broker.name)])
    }

    /// Opens a bus for `memory://NAME?retention=N`.
    public convenience init(url: MessageBusURL, configuration: MessageBusConfiguration, logger: Logger) throws {
        guard url.scheme == "memory" else {
            throw MessageBusError(.invalidURL, "'\(url)' is not a memory:// URL")
        }
        try url.rejectUnknownQueryKeys(known: Self.urlOptions)
        guard url.hosts.count <= 1, url.hosts.first?.port == nil, url.user == nil else {
            throw MessageBusError(.invalidURL, "'\(url)' must be memory://NAME (one broker name, no port, no user)")
        }
        var retention = 10_000
        if let text = url.queryValue("retention") {
            guard let value = Int(text) else {
                throw MessageBusError.invalidConfiguration(key: "retention", value: text, expected: "an integer")
            }
            retention = value
        }
        try self.init(
            brokerName: url.hosts.first?.name ?? "default", retention: retention, configuration: configuration,
            logger: logger)
    }

    /// Stores `messages` in the destination's log and every group's queue; complete when it returns.
    public func publish(contentsOf messages: [Message], to destination: String) async throws {
        try self.identity.ensureOpen()
        try DestinationName.validate(destination)
        try self.consumeInjectedFailure(destination: destination)
        let prepared = messages.withCurrentTraceContext()
        self.broker.mutate { state in ((), state.publish(prepared, to: destination)) }
        self.published.record(messages.count)
    }

    /// Publishing in memory completes at once, so sending is publishing.
    public func send(contentsOf messages: [Message], to destination: String) async throws {
        try await self.publish(contentsOf: messages, to: destination)
    }

    /// Nothing is ever pending in memory; throws only when the bus is closed.
    public func flush() async throws {
        try self.identity.ensureOpen()
    }

    /// Joins `group` (creating it at the start position when new) or starts a broadcast subscription.
    public func subscribe(
        to destination: String,
        group: String?,
        options: SubscriptionOptions
    ) async throws -> Subscription {
        try self.identity.ensureOpen()
        try DestinationName.validate(destination)
        if let group { try DestinationName.validate(group, role: "group") }
        try options.validate(against: self.capabilities, backend: self.backend)
        let consumerID = self.broker.mutate { state in
            state.subscribe(
                destination: destination, group: group, start: options.effectiveStartPosition(group: group),
                prefetch: options.effectivePrefetch(default: Self.defaultPrefetch), owner: self.identity.owner,
                settlesOnHandout: !self.configuration.guarantee.requiresAcknowledgement)
        }
        let settler = InMemorySettler(
            broker: self.broker, consumerID: consumerID, bus: self.identity, destination: destination,
            deadLetterDestination: options.deadLetterDestination(for: destination))
        let context = SubscriptionContext(
            backend: self.backend, destination: destination, group: group, options: options,
            configuration: self.configuration, settler: settler, logger: self.logger)
        context.logger.debug(
            "subscribed", metadata: ["prefetch": "\(options.effectivePrefetch(default: Self.defaultPrefetch))"])
        return Subscription(
            source: InMemoryDeliverySource(broker: self.broker, consumerID: consumerID, context: context),
            context: context)
    }

    /// Buffers what `body` publishes and acknowledges and applies it in one step of the broker when it returns;
    /// when it throws, drops the publishes and redelivers the acknowledged deliveries. A transaction whose task is
    /// cancelled before it commits is aborted the same way and throws `CancellationError`.
    public func withTransaction<Result: Sendable>(
        _ body: (any MessageBusTransaction) async throws -> Result
    ) async throws -> Result {
        try self.identity.ensureOpen()
        guard self.configuration.guarantee.kind == .exactlyOnce else {
            throw MessageBusError(
                .unsupported, "transactions need the .exactlyOnce guarantee; this bus is \(self.configuration.guarantee)")
        }
        return try await self.transactionNesting.run {
            let transaction = InMemoryTransaction(broker: self.broker)
            let result: Result
            do {
                result = try await body(transaction)
                // A transaction whose task was cancelled is aborted, however its body ended.
                try Task.checkCancellation()
            } catch {
                transaction.abort()
                throw error
            }
            try self.identity.ensureOpen()
            try transaction.commit()
            self.published.record(transaction.publishedCount)
            return result
        }
    }

    /// The in-process broker always answers while the bus is open.
    public func checkReadiness() async throws {
        try self.identity.ensureOpen()
    }

    /// Ends this bus's subscriptions (their unsettled deliveries go back to their groups); nothing else is pending.
    public func close(deadline: Duration) async throws {
        guard self.identity.close() else { return }
        let consumers = self.broker.mutate { state in (state.consumers(of: self.identity.owner), .init()) }
        for consumer in consumers { self.broker.unsubscribe(consumer) }
        self.logger.debug("closed in-memory bus", metadata: ["subscriptions": "\(consumers.count)"])
    }

    // MARK: Fault injection

    /// Simulates a lost connection that recovers at once: every delivery this bus's subscriptions hold goes back
    /// to its group (to be redelivered with its attempt raised), and settling one of them afterwards throws
    /// ``MessageBusError/Code/alreadySettled``. The subscriptions themselves continue, as after automatic recovery.
    public func simulateConnectionLoss() throws {
        try self.identity.ensureOpen()
        self.logger.debug("simulating a lost connection")
        self.broker.mutate { state in ((), state.dropConnection(of: self.identity.owner)) }
    }

    /// Simulates a restart of the broker this bus shares with every bus of its name: every bus loses its
    /// connection as in ``simulateConnectionLoss()``, and broadcast subscriptions, whose queues are not durable,
    /// lose the messages waiting in them. Groups and their queued messages survive, as durable queues do.
    public func simulateBrokerRestart() throws {
        try self.identity.ensureOpen()
        self.logger.debug("simulating a broker restart")
        self.broker.mutate { state in ((), state.restart()) }
    }

    /// Makes the next `count` publish or send calls throw ``MessageBusError/Code/connectionFailed`` without
    /// publishing anything.
    public func failNextPublishes(_ count: Int) {
        self.failingPublishes.store(max(0, count), ordering: .releasing)
    }

    private func consumeInjectedFailure(destination: String) throws {
        var remaining = self.failingPublishes.load(ordering: .acquiring)
        while remaining > 0 {
            let (exchanged, current) = self.failingPublishes.compareExchange(
                expected: remaining, desired: remaining - 1, ordering: .acquiringAndReleasing)
            if exchanged {
                throw MessageBusError(
                    .connectionFailed, "injected failure: publish to '\(destination)' on memory://\(self.brokerName)")
            }
            remaining = current
        }
    }
}

extension MessageBusBackend {
    /// The embedded backend, for `memory://NAME` URLs.
    public static let inMemory = MessageBusBackend(name: "memory", schemes: ["memory"]) { url, configuration, logger in
        try InMemoryMessageBus(url: url, configuration: configuration, logger: logger)
    }
}
