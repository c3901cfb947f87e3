/// Settles the deliveries of one in-memory subscription with its broker.
final class InMemorySettler: DeliverySettler {
    private let broker: InMemoryBroker
    let consumerID: InMemoryBroker.ConsumerID
    private let bus: InMemoryMessageBus.Identity
    private let destination: String
    private let deadLetterDestination: String

    init(
        broker: InMemoryBroker,
        consumerID: InMemoryBroker.ConsumerID,
        bus: InMemoryMessageBus.Identity,
        destination: String,
        deadLetterDestination: String
    ) {
        self.broker = broker
        self.consumerID = consumerID
        self.bus = bus
        self.destination = destination
        self.deadLetterDestination = deadLetterDestination
    }

    func settle(_ deliveries: [Delivery], as outcome: DeliveryOutcome) async throws {
        try self.bus.ensureOpen()
        try self.settleNow(deliveries.map(\.tag), as: outcome)
    }

    /// Every outcome is one step of the broker, under its lock.
    func settleWithoutSuspending(_ delivery: Delivery, as outcome: DeliveryOutcome) throws -> Bool {
        try self.bus.ensureOpen()
        try self.settleNow([delivery.tag], as: outcome)
        return true
    }

    /// Settles tags in one step of the broker; throws without settling anything when one is unknown.
    func settleNow(_ tags: [UInt64], as outcome: DeliveryOutcome) throws(MessageBusError) {
        try self.broker.mutate { (state) throws(MessageBusError) in
            try self.settle(tags, as: outcome, in: &state)
        }
    }

    /// Settles tags within a broker step that may do more (a transaction's commit).
    func settle(_ tags: [UInt64], as outcome: DeliveryOutcome, in state: inout InMemoryBrokerState)
        throws(MessageBusError) -> ((), InMemoryBrokerState.Effects)
    {
        try self.checkKnown(tags, in: state)
        let effects = state.settle(
            tags, consumer: self.consumerID, as: outcome, deadLetterDestination: self.deadLetterDestination)
        return ((), effects)
    }

    func checkKnown(_ tags: [UInt64], in state: InMemoryBrokerState) throws(MessageBusError) {
        let unknown = state.unknownTags(tags, consumer: self.consumerID)
        guard unknown.isEmpty else {
            throw MessageBusError(
                .alreadySettled,
                "deliveries \(unknown) of '\(self.destination)' were already settled, "
                    + "or their connection was lost and they went back to the group")
        }
    }
}

/// Receives the deliveries of one in-memory subscription from its broker.
final class InMemoryDeliverySource: DeliverySource {
    private let broker: InMemoryBroker
    private let consumerID: InMemoryBroker.ConsumerID
    private let context: SubscriptionContext
    private let lagSampler: LagSampler

    init(broker: InMemoryBroker, consumerID: InMemoryBroker.ConsumerID, context: SubscriptionContext) {
        self.broker = broker
        self.consumerID = consumerID
        self.context = context
        self.lagSampler = LagSampler(every: .seconds(1), context: context) { [broker] in broker.lag(of: consumerID) }
    }

    func receive(max: Int, timeout: Duration?) async throws -> [Delivery]? {
        guard let handouts = await self.broker.receive(consumer: self.consumerID, max: max, timeout: timeout) else {
            return nil
        }
        return handouts.map { handout in
            Delivery(
                message: handout.message, attempt: handout.attempt, tag: handout.tag,
                position: DeliveryPosition(offset: handout.offset), context: self.context)
        }
    }

    var unsettledCount: Int {
        self.broker.unsettledCount(self.consumerID)
    }

    func cancel() async {
        self.lagSampler.stop()
        self.broker.unsubscribe(self.consumerID)
    }
}
