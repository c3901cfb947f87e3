/// A payment to charge, published as JSON.
struct PaymentRequest: Codable, Sendable {
    let id: String
    let customer: String
    let amountCents: Int
}

/// The error the handler throws for a payment it can never charge: retrying will not help, so after the retry
/// policy's attempts it ends in the dead-letter destination.
struct PaymentDeclined: Error, CustomStringConvertible {
    let payment: PaymentRequest

    var description: String {
        "payment \(self.payment.id) declined: \(self.payment.amountCents) cents is not a chargeable amount"
    }
}
