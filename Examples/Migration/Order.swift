/// An order, published as JSON; a negative amount is refused by billing (and dead-lettered).
struct Order: Codable, Sendable {
    let number: Int
    let amountCents: Int
}

/// Billing refused an order: retrying cannot help, so it is dead-lettered on the first attempt.
struct UnbillableOrder: Error, CustomStringConvertible {
    let order: Order

    var description: String { "order \(self.order.number) has a negative amount (\(self.order.amountCents) cents)" }
}
