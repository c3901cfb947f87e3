/// The part of a backend that carries out acknowledgements.
///
/// Backend implementers provide one per subscription. ``Delivery`` makes sure each delivery reaches
/// ``settle(_:as:)-([Delivery],_)`` at most once, so implementations need not guard against a second ack of the same
/// delivery.
public protocol DeliverySettler: AnyObject, Sendable {
    /// Settles `deliveries`, all of which came from this settler's subscription, as `outcome`.
    ///
    /// - Throws: ``MessageBusError`` with ``MessageBusError/Code/alreadySettled`` when a delivery belongs to a
    ///   subscription or connection that ended since (it will be redelivered; nothing is published for it), or
    ///   ``MessageBusError/Code/closed`` when the bus is closed.
    func settle(_ deliveries: [Delivery], as outcome: DeliveryOutcome) async throws

    /// Settles one delivery as `outcome`: what ``Delivery/ack()`` and its siblings call. The default passes a
    /// one-element array to the batch requirement; a backend settling one delivery for every message
    /// consumed implements it to save that allocation.
    func settle(_ delivery: Delivery, as outcome: DeliveryOutcome) async throws

    /// Settles one delivery as `outcome` without suspending, where the backend can (bookkeeping under a lock, a
    /// command queued for an owner thread), and returns `true`; returns `false`, having done nothing, where the
    /// outcome needs to wait (a publish to be confirmed), and ``settle(_:as:)-(Delivery,_)`` settles it instead.
    ///
    /// ``Delivery/ack()`` and its siblings try this first: in a consume loop that settles every delivery, a call
    /// that cannot suspend saves the task frames of an async call chain for every message. The default returns
    /// `false`. The in-memory backend settles every outcome this way (one step of its broker); Kafka and RabbitMQ
    /// settle acks and discards (offset bookkeeping; a command queued for the connection's thread).
    ///
    /// - Throws: What ``settle(_:as:)-(Delivery,_)`` would throw for the same delivery.
    func settleWithoutSuspending(_ delivery: Delivery, as outcome: DeliveryOutcome) throws -> Bool
}

extension DeliverySettler {
    /// Settles `delivery` through the batch requirement.
    public func settle(_ delivery: Delivery, as outcome: DeliveryOutcome) async throws {
        try await self.settle([delivery], as: outcome)
    }

    /// Settles nothing without suspending: every delivery goes through ``settle(_:as:)-(Delivery,_)``.
    public func settleWithoutSuspending(_ delivery: Delivery, as outcome: DeliveryOutcome) throws -> Bool {
        false
    }
}
