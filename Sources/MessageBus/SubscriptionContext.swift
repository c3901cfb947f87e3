public import Logging
import CoreMetrics
import Synchronization

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
    /// Effectively-once's state (`nil` under the other guarantees); kept apart from the guarantee for the same
    /// reason.
    private let deduplication: Deduplication?
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
    ///   - sharing: Another context of the same subscription, for a subscription to several destinations (one context
    ///     each) whose deliveries it hands out together: their effectively-once state must be one.
    public init(
        backend: String,
        destination: String,
        group: String?,
        options: SubscriptionOptions,
        configuration: MessageBusConfiguration,
        settler: any DeliverySettler,
        logger: Logger,
        sharingDeduplicationWith sharing: SubscriptionContext? = nil
    ) {
        self.backend = backend
        self.destination = destination
        self.group = group
        self.guarantee = configuration.guarantee
        self.requiresAcknowledgement = configuration.guarantee.requiresAcknowledgement
        self.deduplication = configuration.guarantee.deduplicationStore.map { store in
            sharing?.deduplication ?? Deduplication(store: store)
        }
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
        guard let deduplication = self.deduplication else {
            try await self.settler.settle(deliveries, as: outcome)
            self.counters.settled(outcome, count: deliveries.count)
            return
        }
        try await self.settle(deliveries, as: outcome, deduplicatingWith: deduplication) {
            try await self.settler.settle(deliveries, as: outcome)
        }
    }

    /// Settles one delivery of this subscription, without an array on backends that settle one at a time.
    func settle(_ delivery: Delivery, as outcome: DeliveryOutcome) async throws {
        guard let deduplication = self.deduplication else {
            try await self.settler.settle(delivery, as: outcome)
            self.counters.settled(outcome, count: 1)
            return
        }
        try await self.settle(CollectionOfOne(delivery), as: outcome, deduplicatingWith: deduplication) {
            try await self.settler.settle(delivery, as: outcome)
        }
    }

    /// Settles one delivery of this subscription without suspending where its backend can; see
    /// ``DeliverySettler/settleWithoutSuspending(_:as:)``. Never under effectively-once, whose store is async.
    func settleWithoutSuspending(_ delivery: Delivery, as outcome: DeliveryOutcome) throws -> Bool {
        guard self.deduplication == nil, try self.settler.settleWithoutSuspending(delivery, as: outcome) else {
            return false
        }
        self.counters.settled(outcome, count: 1)
        return true
    }

    /// Under effectively-once: settles through `settle`, remembers the messages settled for good (not given back),
    /// and then drops the other copies of them that were held while these were in flight, or releases those copies
    /// when these were given back.
    private func settle(
        _ deliveries: some Collection<Delivery>, as outcome: DeliveryOutcome,
        deduplicatingWith deduplication: Deduplication, settle: () async throws -> Void
    ) async throws {
        do {
            try await settle()
        } catch let error as MessageBusError where error.code == .alreadySettled {
            // Their connection, partition or subscription is gone and the broker gives them to the group again.
            // An ack or a discard is still the application's word on a message it has handled: remembered, the
            // copy the group gets again is dropped as a duplicate. Any other outcome did not happen: a held copy
            // may go out in its place.
            let handled = outcome == .ack || outcome == .discard
            await self.endFlight(of: deliveries, settledForGood: handled, in: deduplication)
            throw error
        }
        self.counters.settled(outcome, count: deliveries.count)
        await self.endFlight(of: deliveries, settledForGood: outcome.redeliveryDelay == nil, in: deduplication)
    }

    /// Ends the flight of settled deliveries: when they were settled for good, remembers their messages and drops
    /// the copies held meanwhile; otherwise releases one held copy of each.
    private func endFlight(
        of deliveries: some Collection<Delivery>, settledForGood: Bool, in deduplication: Deduplication
    ) async {
        if settledForGood {
            for delivery in deliveries {
                await deduplication.store.insert(self.deduplicationKey(for: delivery.message))
            }
        }
        let keyed = deliveries.map { ($0, self.deduplicationKey(for: $0.message)) }
        let duplicates = deduplication.inFlight.withLock { inFlight in
            keyed.flatMap { delivery, key in inFlight.settled(delivery, key: key, forGood: settledForGood) }
        }
        guard !duplicates.isEmpty else { return }
        do {
            try await self.drop(duplicates)
        } catch {
            // Not a failure of this settlement: a held copy left unacknowledged comes again (after a reconnection
            // or to another member) and is dropped then, its message being remembered.
            self.logger.debug("could not drop held duplicates", metadata: ["error": "\(error)"])
        }
    }

    /// Acknowledges deliveries that repeat a message the group settled, without handing them to the application.
    func drop(_ duplicates: [Delivery]) async throws {
        for _ in duplicates { self.counters.duplicates.increment() }
        self.logger.debug("dropped duplicate deliveries", metadata: ["count": "\(duplicates.count)"])
        try await duplicates.ackAll()
    }

    /// Under effectively-once, which of `deliveries` (received in this order) may go to the application: not those
    /// whose message the group already settled (they are acknowledged and dropped), nor those with another copy in
    /// flight (held until that copy is settled). Every delivery, unless effectively-once is off.
    func admit(_ deliveries: [Delivery]) async throws -> [Delivery] {
        guard let deduplication = self.deduplication else { return deliveries }
        var fresh: [Delivery] = []
        fresh.reserveCapacity(deliveries.count)
        var duplicates: [Delivery] = []
        for delivery in deliveries {
            // The delivery's own context: a subscription to several destinations settles (and so records message
            // ids) under each delivery's destination.
            let key = delivery.context.deduplicationKey(for: delivery.message)
            if await deduplication.store.contains(key) {
                duplicates.append(delivery)
            } else if deduplication.inFlight.withLock({ $0.admit(delivery, key: key) }) {
                fresh.append(delivery)
            }
        }
        if !duplicates.isEmpty {
            do {
                try await self.drop(duplicates)
            } catch let error as MessageBusError where error.code == .alreadySettled {
                // Given back to the group before they could be dropped (a lost connection, say): they
                // come again and are dropped then. Not the receiver's failure.
                self.logger.debug("could not drop duplicates", metadata: ["error": "\(error)"])
            }
        }
        return fresh
    }

    /// Under effectively-once, whether `delivery` repeats a message the group already settled; if so it is
    /// acknowledged and dropped here. For deliveries taken one at a time outside a subscription (RabbitMQ's
    /// `basic.get`), where a copy cannot be held for later: only settled messages are recognised. Always `false`
    /// unless effectively-once is on.
    package func dropIfSettledBefore(_ delivery: Delivery) async throws -> Bool {
        guard let deduplication = self.deduplication,
            await deduplication.store.contains(self.deduplicationKey(for: delivery.message))
        else { return false }
        try await self.drop([delivery])
        return true
    }

    /// Under effectively-once, up to `max` copies released because the copy in flight was given back, to be admitted
    /// again.
    func takeReleasedCopies(max: Int) -> [Delivery] {
        self.deduplication?.inFlight.withLock { $0.takeReleased(max: max) } ?? []
    }

    /// Forgets the copies in flight and held, when the subscription ends: the source gives every unsettled delivery
    /// back, held copies included, and a held copy must not keep this context (which it references) alive.
    func forgetCopiesInFlight() {
        self.deduplication?.inFlight.withLock { $0 = InFlightCopies() }
    }

    /// Whether copies are held or released, so that the subscription must look for released ones while it waits.
    var holdsCopies: Bool {
        self.deduplication?.inFlight.withLock { $0.waitingCount > 0 } ?? false
    }

    /// Whether deliveries whose message the group already settled are dropped (effectively-once).
    var deduplicates: Bool { self.deduplication != nil }

    package func recordConsumed(_ count: Int) {
        self.counters.consumed.increment(by: Int64(count))
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

    /// The store that remembers settled message ids, and the copies in flight; shared by the contexts of one
    /// subscription to several destinations, whose deliveries it hands out together.
    private final class Deduplication: Sendable {
        let store: any DeduplicationStore
        let inFlight = Mutex(InFlightCopies<Delivery>())

        init(store: any DeduplicationStore) {
            self.store = store
        }
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
