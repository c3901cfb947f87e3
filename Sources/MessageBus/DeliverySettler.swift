/// The part of a backend that carries out acknowledgements.
///
/// Backend implementers provide one per subscription. ``Delivery`` makes sure each delivery reaches
/// ``settle(_:as:)`` at most once, so implementations need not guard against a second ack of the same delivery.
public protocol DeliverySettler: AnyObject, Sendable {
    /// Settles `deliveries`, all of which came from this settler's subscription, as `outcome`.
    ///
    /// - Throws: ``MessageBusError`` with ``MessageBusError/Code/alreadySettled`` when a delivery belongs to a
    ///   connection that was lost since (it will be redelivered), or ``MessageBusError/Code/closed``.
    func settle(_ deliveries: [Delivery], as outcome: DeliveryOutcome) async throws
}
