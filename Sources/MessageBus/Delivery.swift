import Synchronization
public import ServiceContextModule

/// A message handed to a subscriber, with the means to settle it.
///
/// Settle each delivery once: ``ack()`` when it is processed, ``nack(requeue:)`` to have it redelivered
/// (`requeue: true`) or dropped (`requeue: false`), or ``reject(reason:)`` to dead-letter it. Settling twice
/// throws ``MessageBusError/Code/alreadySettled``. Many deliveries may be in flight and they may be settled in any
/// order, on every backend.
public final class Delivery: Sendable {
    /// The message.
    public let message: Message
    /// How many times this message has been handed to a subscriber of the group, this time included (1 at first).
    public let attempt: Int
    /// Where the message sits in its destination, on backends that have positions.
    public let position: DeliveryPosition?
    /// The backend's identifier of this delivery within its subscription.
    public let tag: UInt64
    /// The subscription this delivery came from.
    public let context: SubscriptionContext
    /// What the backend received beyond ``Message``: the RabbitMQ backend's AMQP properties (reply-to, type,
    /// app id, ...), read through its typed accessor; `nil` on backends with nothing more.
    public let backendProperties: (any Sendable)?
    private let settled: Atomic<Bool>

    /// Creates a delivery; called by backends.
    ///
    /// - Parameters:
    ///   - message: The message as received.
    ///   - attempt: The delivery attempt, starting at 1.
    ///   - tag: The backend's identifier of the delivery.
    ///   - position: The partition and offset, where the backend has them.
    ///   - context: The subscription's context.
    ///   - backendProperties: What the backend received beyond the message, for its own typed accessor.
    public init(
        message: Message, attempt: Int, tag: UInt64, position: DeliveryPosition? = nil, context: SubscriptionContext,
        backendProperties: (any Sendable)? = nil
    ) {
        self.message = message
        self.attempt = attempt
        self.tag = tag
        self.position = position
        self.context = context
        self.backendProperties = backendProperties
        self.settled = Atomic(!context.requiresAcknowledgement)
    }

    /// The destination the message was consumed from.
    public var destination: String { self.context.destination }

    /// Whether this delivery has been settled (always `true` under at-most-once).
    public var isSettled: Bool { self.settled.load(ordering: .acquiring) }

    /// The trace context the publisher propagated in the message headers.
    public var traceContext: ServiceContext { self.message.headers.extractTraceContext() }

    /// Acknowledges the delivery: it is processed and removed for good from the group.
    public func ack() async throws {
        try await self.settle(as: .ack)
    }

    /// Gives the delivery back: redelivered with its attempt raised when `requeue` is `true`, dropped otherwise.
    public func nack(requeue: Bool = true) async throws {
        try await self.settle(as: requeue ? .requeue : .discard)
    }

    /// Gives the delivery back to be redelivered to its group, with its attempt raised, no sooner than `delay`
    /// from now; see ``DeliveryOutcome/retry(after:)``.
    public func retry(after delay: Duration) async throws {
        try await self.settle(as: .retry(after: delay))
    }

    /// Dead-letters the delivery: it moves to the subscription's dead-letter destination with `reason` in the
    /// ``WellKnownHeader/deadLetterReason`` header.
    public func reject(reason: String) async throws {
        try await self.settle(as: .deadLetter(reason: reason))
    }

    /// Settles the delivery as `outcome`.
    ///
    /// Under at-most-once the delivery was settled before it was handed out, and this does nothing.
    public func settle(as outcome: DeliveryOutcome) async throws {
        guard self.context.requiresAcknowledgement else { return }
        guard self.claimSettlement() else {
            throw MessageBusError(.alreadySettled, "delivery \(self.tag) of '\(self.destination)' is already settled")
        }
        do {
            if try self.context.settleWithoutSuspending(self, as: outcome) { return }
            try await self.context.settle(self, as: outcome)
        } catch {
            // Not settled after all (a requeue or dead-letter publish failed, say): it may be settled again.
            self.releaseSettlement()
            throw error
        }
    }

    /// Marks the delivery settled; `false` when it already was. Used by batch settlement and transactions.
    package func claimSettlement() -> Bool {
        self.settled.compareExchange(expected: false, desired: true, ordering: .acquiringAndReleasing).exchanged
    }

    /// Undoes ``claimSettlement()`` after the backend failed to settle the delivery.
    package func releaseSettlement() {
        self.settled.store(false, ordering: .releasing)
    }
}

extension Sequence where Element == Delivery {
    /// Settles every delivery as `outcome` with as few broker calls as the backends allow (one per subscription).
    ///
    /// - Throws: ``MessageBusError/Code/alreadySettled`` when any delivery was already settled; the others are
    ///   still settled. When settling one subscription's deliveries fails, the others are still settled and the
    ///   first failure is thrown; only the deliveries it names may be settled again.
    public func settleAll(as outcome: DeliveryOutcome) async throws {
        try await Delivery.settle(Array(self), as: outcome)
    }

    /// Acknowledges every delivery; see ``settleAll(as:)``.
    public func ackAll() async throws {
        try await self.settleAll(as: .ack)
    }
}

extension Array where Element == Delivery {
    /// Removes the deliveries tagged with one of `tags`: those a settler found it can no longer settle, left out
    /// before it publishes a retry or dead-letter copy.
    package mutating func removeAll(tagged tags: [UInt64]) {
        guard !tags.isEmpty else { return }
        let tags = Set(tags)
        self.removeAll { tags.contains($0.tag) }
    }
}

extension Delivery {
    /// ``Swift/Sequence/settleAll(as:)`` on a concrete array, so that the per-delivery work is compiled once here
    /// rather than left generic across modules; a batch from one subscription (the usual case) is settled without
    /// grouping.
    static func settle(_ deliveries: [Delivery], as outcome: DeliveryOutcome) async throws {
        var claimed: [Delivery] = []
        claimed.reserveCapacity(deliveries.count)
        var alreadySettled: [UInt64] = []
        var sharedContext: SubscriptionContext? = deliveries.first?.context
        for delivery in deliveries where delivery.context.requiresAcknowledgement {
            guard delivery.claimSettlement() else {
                alreadySettled.append(delivery.tag)
                continue
            }
            if delivery.context !== sharedContext { sharedContext = nil }
            claimed.append(delivery)
        }
        if let context = sharedContext, !claimed.isEmpty {
            try await Self.settle(claimed, of: context, as: outcome)
        } else {
            var bySubscription: [ObjectIdentifier: (SubscriptionContext, [Delivery])] = [:]
            for delivery in claimed {
                bySubscription[ObjectIdentifier(delivery.context), default: (delivery.context, [])].1.append(delivery)
            }
            // Every subscription is settled even when one fails, so that none is left claimed and unsettled; the
            // first failure is thrown afterwards (only its deliveries may be settled again).
            var firstFailure: (any Error)?
            for (context, group) in bySubscription.values {
                do {
                    try await Self.settle(group, of: context, as: outcome)
                } catch {
                    firstFailure = firstFailure ?? error
                }
            }
            if let firstFailure { throw firstFailure }
        }
        if !alreadySettled.isEmpty {
            throw MessageBusError(.alreadySettled, "deliveries \(alreadySettled) were already settled")
        }
    }

    private static func settle(
        _ deliveries: [Delivery], of context: SubscriptionContext, as outcome: DeliveryOutcome
    ) async throws {
        do {
            try await context.settle(deliveries, as: outcome)
        } catch {
            for delivery in deliveries { delivery.releaseSettlement() }
            throw error
        }
    }
}
