public import Logging
import CoreMetrics

/// What every delivery of one subscription shares: where it came from, the guarantee, and the way back to the
/// backend that settles it.
///
/// Backends create one per subscription. Settling through it (rather than through the backend directly) is what
/// gives every backend the same effectively-once de-duplication, metrics and logging.
public final class SubscriptionContext: Sendable {
    /// The backend's name (`memory`, `kafka`, `rabbitmq`).
    public let backend: String
    /// The destination subscribed to.
    public let destination: String
    /// The subscriber group; `nil` for a broadcast subscription.
    public let group: String?
    /// The bus's delivery guarantee.
    public let guarantee: DeliveryGuarantee
    /// Whether deliveries must be settled (every guarantee but at-most-once); read for every delivery, so kept
    /// apart from the guarantee, whose copy costs reference counting.
    public let requiresAcknowledgement: Bool
    /// The guarantee's de-duplication store (effectively-once only); kept apart for the same reason.
    private let deduplicationStore: (any DeduplicationStore)?
    /// Where rejected deliveries go.
    public let deadLetterDestination: String
    /// The subscription's logger, with the destination and group in its metadata.
    public let logger: Logger
    package let settler: any DeliverySettler
    private let counters: Counters

    /// Creates a context; called by backends.
    ///
    /// - Parameters:
    ///   - backend: The backend's name.
    ///   - destination: The destination subscribed to.
    ///   - group: The subscriber group, `nil` for broadcast.
    ///   - options: The subscription's options.
    ///   - configuration: The bus's configuration.
    ///   - settler: The backend's settler for this subscription.
    ///   - logger: The bus's logger; the context adds its own metadata.
    public init(
        backend: String,
        destination: String,
        group: String?,
        options: SubscriptionOptions,
        configuration: MessageBusConfiguration,
        settler: any DeliverySettler,
        logger: Logger
    ) {
        self.backend = backend
        self.destination = destination
        self.group = group
        self.guarantee = configuration.guarantee
        self.requiresAcknowledgement = configuration.guarantee.requiresAcknowledgement
        self.deduplicationStore = configuration.guarantee.deduplicationStore
        self.deadLetterDestination = options.deadLetterDestination(for: destination)
        self.settler = settler
        var logger = logger
        logger[metadataKey: MessageBusLoggingKeys.destination] = .string(destination)
        logger[metadataKey: MessageBusLoggingKeys.group] = .string(group ?? "(broadcast)")
        self.logger = logger
        self.counters = Counters(
            backend: backend, destination: destination, group: group,
            factory: configuration.metricsFactory ?? MetricsSystem.factory)
    }

    /// Settles deliveries of this subscription; see ``DeliverySettler/settle(_:as:)``.
    func settle(_ deliveries: [Delivery], as outcome: DeliveryOutcome) async throws {
        try await self.settler.settle(deliveries, as: outcome)
        self.counters.settled(outcome, count: deliveries.count)
        if let store = self.deduplicationStore { await self.remember(deliveries, settledAs: outcome, in: store) }
    }

    /// Settles one delivery of this subscription, without an array on backends that settle one at a time.
    func settle(_ delivery: Delivery, as outcome: DeliveryOutcome) async throws {
        try await self.settler.settle(delivery, as: outcome)
        self.counters.settled(outcome, count: 1)
        if let store = self.deduplicationStore {
            await self.remember(CollectionOfOne(delivery), settledAs: outcome, in: store)
        }
    }

    /// Under effectively-once, remembers the messages settled for good (not requeued).
    private func remember(
        _ deliveries: some Collection<Delivery>, settledAs outcome: DeliveryOutcome, in store: any DeduplicationStore
    ) async {
        guard outcome.redeliveryDelay == nil else { return }
        for delivery in deliveries {
            await store.insert(self.deduplicationKey(for: delivery.message))
        }
    }

    /// Whether `delivery` repeats a message the group already settled for good; such a delivery is acknowledged
    /// again and never handed to the application. Always `false` unless the guarantee is effectively-once.
    func isDuplicate(_ delivery: Delivery) async -> Bool {
        guard let store = self.deduplicationStore else { return false }
        return await store.contains(self.deduplicationKey(for: delivery.message))
    }

    /// Whether deliveries whose message the group already settled are dropped (effectively-once).
    var deduplicates: Bool { self.deduplicationStore != nil }

    package func recordConsumed(_ count: Int) {
        self.counters.consumed.increment(by: Int64(count))
    }

    func recordDuplicateDropped() {
        self.counters.duplicates.increment()
    }

    /// Reports how many deliveries the subscription holds unsettled (buffered or handed out): the
    /// `messagebus.in_flight` gauge.
    package func recordInFlight(_ count: Int) {
        self.counters.inFlight.record(count)
    }

    /// Reports how many messages wait for the group beyond what it has received (Kafka: the high watermarks less
    /// the positions of its partitions; RabbitMQ: the messages ready in its queue; memory: its queue): the
    /// `messagebus.lag` gauge. Backends sample it periodically while the subscription runs.
    package func recordLag(_ count: Int) {
        self.counters.lag.record(count)
    }

    private func deduplicationKey(for message: Message) -> String {
        "\(self.destination)\u{1F}\(self.group ?? "")\u{1F}\(message.id)"
    }

    private struct Counters: Sendable {
        let consumed: Counter
        let duplicates: Counter
        let acked: Counter
        let requeued: Counter
        let discarded: Counter
        let deadLettered: Counter
        let inFlight: Gauge
        let lag: Gauge

        init(backend: String, destination: String, group: String?, factory: any MetricsFactory) {
            let dimensions = [("backend", backend), ("destination", destination)]
            let groupDimensions = dimensions + [("group", group ?? "(broadcast)")]
            self.inFlight = Gauge(label: "messagebus.in_flight", dimensions: groupDimensions, factory: factory)
            self.lag = Gauge(label: "messagebus.lag", dimensions: groupDimensions, factory: factory)
            func counter(_ label: String, _ extra: [(String, String)] = []) -> Counter {
                Counter(label: label, dimensions: dimensions + extra, factory: factory)
            }
            self.consumed = counter("messagebus.consumed")
            self.duplicates = counter("messagebus.duplicates.dropped")
            self.acked = counter("messagebus.settled", [("outcome", "ack")])
            self.requeued = counter("messagebus.settled", [("outcome", "requeue")])
            self.discarded = counter("messagebus.settled", [("outcome", "discard")])
            self.deadLettered = counter("messagebus.settled", [("outcome", "dead-letter")])
        }

        func settled(_ outcome: DeliveryOutcome, count: Int) {
            let counter: Counter
            switch outcome {
            case .ack: counter = self.acked
            case .requeue, .retry: counter = self.requeued
            case .discard: counter = self.discarded
            case .deadLetter: counter = self.deadLettered
            }
            counter.increment(by: Int64(count))
        }
    }
}

extension SubscriptionContext: CustomStringConvertible {
    /// `<backend> subscription to '<destination>' (group '<group>')`.
    public var description: String {
        "\(self.backend) subscription to '\(self.destination)' (\(self.group.map { "group '\($0)'" } ?? "broadcast"))"
    }
}
