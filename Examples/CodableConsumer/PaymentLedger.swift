import Synchronization

/// What the handler charged, and how often it saw each payment; handlers call it concurrently.
final class PaymentLedger: Sendable {
    private struct State {
        var charged: [String] = []
        var attempts: [String: Int] = [:]
    }

    private let state = Mutex(State())

    /// The ids charged so far.
    var charged: [String] { self.state.withLock { $0.charged } }

    /// How many times the handler ran for payment `id`.
    func attempts(of id: String) -> Int {
        self.state.withLock { $0.attempts[id, default: 0] }
    }

    /// Charges `payment`, or throws ``PaymentDeclined`` for an amount that cannot be charged.
    func charge(_ payment: PaymentRequest) throws {
        try self.state.withLock { state in
            state.attempts[payment.id, default: 0] += 1
            guard payment.amountCents > 0 else { throw PaymentDeclined(payment: payment) }
            state.charged.append(payment.id)
        }
    }
}
