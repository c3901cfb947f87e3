/// An order, as other services publish it (JSON).
struct Order: Codable, Sendable {
    let number: Int
    let customer: String
    let amountCents: Int
}

/// The invoice this service publishes for an order.
struct Invoice: Codable, Sendable {
    let orderNumber: Int
    let customer: String
    let totalCents: Int
    let taxCents: Int

    /// The invoice for `order`, with 20 % tax on top.
    init(for order: Order) {
        self.orderNumber = order.number
        self.customer = order.customer
        self.taxCents = order.amountCents / 5
        self.totalCents = order.amountCents + self.taxCents
    }
}
