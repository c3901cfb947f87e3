/// The backend side of a subscription: where deliveries come from.
///
/// Backend implementers provide one per subscription; applications use ``Subscription``, which wraps it.
public protocol DeliverySource: Sendable {
    /// Waits for deliveries and returns between 1 and `max` of them, or an empty array once `timeout` has passed
    /// (never, when `timeout` is `nil`), or `nil` once the subscription has ended.
    ///
    /// Task cancellation ends the wait early with an empty array. Must never block a thread of the cooperative pool.
    func receive(max: Int, timeout: Duration?) async throws -> [Delivery]?

    /// How many deliveries are handed out or buffered and not yet settled; never more than the prefetch limit.
    var unsettledCount: Int { get }

    /// Ends the subscription; deliveries not yet settled go back to the group and are redelivered.
    func cancel() async
}
