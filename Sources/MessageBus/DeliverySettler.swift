/// The part of a backend that carries out acknowledgements.
///
/// Backend implementers provide one per subscription. ``Delivery`` makes sure each delivery reaches
/// ``settle(_:as:)-([Delivery],_)`` at most once, so implementations need not guard against a second ack of the same
/// delivery.
public protocol DeliverySettler: AnyObject, Sendable {
    /// Settles `deliveries`, all of which came from this settler's subscription, as `outcome`.
    ///
    /// - Throws: ``MessageBusError`` with ``MessageBusError/Code/alreadySettled`` when a delivery belongs to a
    ///   connection that was lost since (it will be redelivered), or ``MessageBusError/Code/closed``.
    func settle(_ deliveries: [Delivery], as outcome: DeliveryOutcome) async throws

    /// Settles one delivery as `outcome`: what ``Delivery/ack()`` and its siblings call. The default passes a
    /// one-element array to the batch requirement; a backend settling one delivery for every message
    /// consumed implements it to save that allocation.
    func settle(_ delivery: Delivery, as outcome: DeliveryOutcome) async throws
}

extension DeliverySettler {
    /// Settles `delivery` through the batch requirement.
    public func settle(_ delivery: Delivery, as outcome: DeliveryOutcome) async throws {
        try await self.settle([delivery], as: outcome)
    }
}
