/// What ``MessageBus/consume(from:group:options:concurrency:retry:handler:)`` does with a delivery whose handler
/// threw.
public struct RetryPolicy: Sendable, Hashable {
    /// What happens once the attempts are used up.
    public enum Exhaustion: Sendable, Hashable {
        /// Move the message to the dead-letter destination, with the error as the reason.
        case deadLetter
        /// Drop the message.
        case discard
    }

    /// How many deliveries a message gets in all, the first included; at least 1.
    public var maxAttempts: Int
    /// What happens after the last attempt fails.
    public var onExhaustion: Exhaustion

    /// Creates a policy.
    public init(maxAttempts: Int, onExhaustion: Exhaustion = .deadLetter) {
        self.maxAttempts = max(1, maxAttempts)
        self.onExhaustion = onExhaustion
    }

    /// Five attempts, then dead-letter.
    public static let `default` = RetryPolicy(maxAttempts: 5)

    /// No retry: the first failure dead-letters.
    public static let deadLetterImmediately = RetryPolicy(maxAttempts: 1)

    /// The outcome for a delivery on its `attempt` whose handler threw `error`.
    public func outcome(afterFailedAttempt attempt: Int, error: any Error) -> DeliveryOutcome {
        if attempt < self.maxAttempts { return .requeue }
        switch self.onExhaustion {
        case .deadLetter: return .deadLetter(reason: "failed \(attempt) of \(self.maxAttempts) attempts: \(error)")
        case .discard: return .discard
        }
    }
}
