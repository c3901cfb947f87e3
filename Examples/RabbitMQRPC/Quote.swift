/// What the client asks the pricing service.
struct QuoteRequest: Codable, Sendable {
    let product: String
    let quantity: Int
}

/// The pricing service's answer.
struct Quote: Codable, Sendable {
    let product: String
    let quantity: Int
    let totalCents: Int
}
