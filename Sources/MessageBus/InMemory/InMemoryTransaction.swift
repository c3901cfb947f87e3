import Synchronization

/// A transaction on the in-memory broker: publishes and acknowledgements are buffered and applied in one step of
/// the broker on commit, so no subscriber ever sees part of it.
final class InMemoryTransaction: MessageBusTransaction {
    private struct Pending {
        var publishes: [(destination: String, messages: [Message])] = []
        var acknowledged: [(settler: InMemorySettler, tag: UInt64)] = []
        var isFinished = false
    }

    private let broker: InMemoryBroker
    private let pending = Mutex(Pending())

    init(broker: InMemoryBroker) {
        self.broker = broker
    }

    var publishedCount: Int {
        self.pending.withLock { $0.publishes.reduce(0) { $0 + $1.messages.count } }
    }

    func publish(contentsOf messages: [Message], to destination: String) async throws {
        try DestinationName.validate(destination)
        let prepared = messages.withCurrentTraceContext()
        try self.pending.withLock { (pending) throws(MessageBusError) in
            try Self.ensureUnfinished(pending)
            pending.publishes.append((destination, prepared))
        }
    }

    func acknowledge(_ deliveries: [Delivery]) async throws {
        for delivery in deliveries {
            guard let settler = delivery.context.settler as? InMemorySettler else {
                throw MessageBusError(
                    .invalidConfiguration,
                    "a memory:// transaction can only acknowledge deliveries of memory:// subscriptions, not of the "
                        + "\(delivery.context)")
            }
            guard delivery.claimSettlement() else {
                throw MessageBusError(.alreadySettled, "delivery \(delivery.tag) of '\(delivery.destination)' is already settled")
            }
            try self.pending.withLock { (pending) throws(MessageBusError) in
                try Self.ensureUnfinished(pending)
                pending.acknowledged.append((settler, delivery.tag))
            }
        }
    }

    /// Applies everything at once, or nothing (and the acknowledged deliveries come back) when a delivery can no
    /// longer be settled.
    func commit() throws {
        let pending = self.finish()
        do {
            try self.broker.mutate { (state) throws(MessageBusError) in
                for (settler, tag) in pending.acknowledged { try settler.checkKnown([tag], in: state) }
                var effects = InMemoryBrokerState.Effects()
                for (settler, tag) in pending.acknowledged {
                    effects.woken.formUnion(try settler.settle([tag], as: .ack, in: &state).1.woken)
                }
                for (destination, messages) in pending.publishes {
                    effects.woken.formUnion(state.publish(messages, to: destination).woken)
                }
                return ((), effects)
            }
        } catch {
            throw MessageBusError(.transactionAborted, "the transaction was aborted: \(error.message)", underlying: error)
        }
    }

    /// Drops the publishes and gives the acknowledged deliveries back to their groups.
    func abort() {
        for (settler, tag) in self.finish().acknowledged {
            try? settler.settleNow([tag], as: .requeue)
        }
    }

    private func finish() -> Pending {
        self.pending.withLock { pending in
            let taken = pending
            pending = Pending(isFinished: true)
            return taken
        }
    }

    private static func ensureUnfinished(_ pending: Pending) throws(MessageBusError) {
        if pending.isFinished {
            throw MessageBusError(.closed, "the transaction has already committed or aborted")
        }
    }
}
