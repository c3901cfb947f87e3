import Foundation

/// What ``MessageBus/consume(from:group:options:concurrency:retry:handler:)`` does with a delivery whose handler
/// threw.
///
/// A failed delivery is redelivered to its group after a backoff that grows with every attempt
/// (``DeliveryOutcome/retry(after:)``, which holds nothing of the group's back meanwhile); once ``maxAttempts``
/// deliveries have failed, it is dead-lettered with the error as the reason (or dropped).
public struct RetryPolicy: Sendable, Hashable {
    /// What happens once the attempts are used up.
    public enum Exhaustion: Sendable, Hashable {
        /// Move the message to the dead-letter destination, with the error as the reason.
        case deadLetter
        /// Drop the message.
        case discard
    }

    /// How long a failed delivery waits before its next attempt.
    public struct Backoff: Sendable, Hashable {
        /// The wait after the first failed attempt.
        public var initial: Duration
        /// What each further failure multiplies the wait by; at least 1.
        public var multiplier: Double
        /// The longest wait.
        public var maximum: Duration
        /// The fraction of each wait that is random, from 0 (none) to 1: a wait `d` becomes a uniformly random
        /// wait between `d × (1 − jitter)` and `d`, so that messages that failed together do not all come back
        /// together.
        public var jitter: Double

        /// Creates a backoff.
        ///
        /// - Parameters:
        ///   - initial: The wait after the first failed attempt; negative waits count as zero.
        ///   - multiplier: What each further failure multiplies the wait by (at least 1).
        ///   - maximum: The longest wait.
        ///   - jitter: The random fraction of each wait, clamped to 0...1.
        public init(initial: Duration, multiplier: Double = 2, maximum: Duration, jitter: Double = 0.2) {
            self.initial = max(.zero, initial)
            self.multiplier = multiplier.isFinite ? max(1, multiplier) : 1
            self.maximum = max(self.initial, maximum)
            self.jitter = jitter.isFinite ? min(1, max(0, jitter)) : 0
        }

        /// Exponential backoff: `initial`, then twice as long after each failure, up to `maximum`, with 20 %
        /// jitter.
        public static func exponential(initial: Duration, maximum: Duration) -> Backoff {
            Backoff(initial: initial, maximum: maximum)
        }

        /// The same wait after every failure, without jitter.
        public static func constant(_ wait: Duration) -> Backoff {
            Backoff(initial: wait, multiplier: 1, maximum: wait, jitter: 0)
        }

        /// No wait: a failed delivery is requeued at once (``DeliveryOutcome/requeue``).
        public static let none = Backoff.constant(.zero)

        /// The longest wait after failed attempt `attempt` (1 for the first), before jitter.
        public func nominalDelay(afterAttempt attempt: Int) -> Duration {
            let initial = Self.seconds(self.initial)
            guard initial > 0 else { return .zero }
            // Capped before it can overflow: 2^64 times any wait is longer than any maximum.
            let grown = initial * Foundation.pow(self.multiplier, Double(min(64, max(0, attempt - 1))))
            return .milliseconds(Int64(min(grown, Self.seconds(self.maximum)) * 1000))
        }

        /// The wait after failed attempt `attempt`: ``nominalDelay(afterAttempt:)`` less a random part of up to
        /// ``jitter`` of it.
        public func delay(afterAttempt attempt: Int) -> Duration {
            var generator = SystemRandomNumberGenerator()
            return self.delay(afterAttempt: attempt, using: &generator)
        }

        /// ``delay(afterAttempt:)`` with the random part drawn from `generator`.
        public func delay(afterAttempt attempt: Int, using generator: inout some RandomNumberGenerator) -> Duration {
            let nominal = self.nominalDelay(afterAttempt: attempt)
            guard self.jitter > 0, nominal > .zero else { return nominal }
            return nominal * (1 - Double.random(in: 0...self.jitter, using: &generator))
        }

        private static func seconds(_ duration: Duration) -> Double {
            let (seconds, attoseconds) = duration.components
            return Double(seconds) + Double(attoseconds) / 1e18
        }
    }

    /// How many deliveries a message gets in all, the first included; at least 1.
    public var maxAttempts: Int
    /// How long a failed delivery waits before its next attempt.
    public var backoff: Backoff
    /// What happens after the last attempt fails.
    public var onExhaustion: Exhaustion

    /// Creates a policy.
    ///
    /// - Parameters:
    ///   - maxAttempts: How many deliveries a message gets in all (at least 1).
    ///   - backoff: The wait before each redelivery; ``Backoff/none`` requeues at once.
    ///   - onExhaustion: What happens after the last attempt fails.
    public init(
        maxAttempts: Int, backoff: Backoff = .exponential(initial: .milliseconds(200), maximum: .seconds(30)),
        onExhaustion: Exhaustion = .deadLetter
    ) {
        self.maxAttempts = max(1, maxAttempts)
        self.backoff = backoff
        self.onExhaustion = onExhaustion
    }

    /// Five attempts, 0.2 s after the first failure and twice as long after each further one (with jitter), then
    /// dead-letter.
    public static let `default` = RetryPolicy(maxAttempts: 5)

    /// No retry: the first failure dead-letters.
    public static let deadLetterImmediately = RetryPolicy(maxAttempts: 1)

    /// The outcome for a delivery on its `attempt` whose handler threw `error`.
    public func outcome(afterFailedAttempt attempt: Int, error: any Error) -> DeliveryOutcome {
        if attempt < self.maxAttempts {
            let delay = self.backoff.delay(afterAttempt: attempt)
            return delay > .zero ? .retry(after: delay) : .requeue
        }
        switch self.onExhaustion {
        case .deadLetter: return .deadLetter(reason: "failed \(attempt) of \(self.maxAttempts) attempts: \(error)")
        case .discard: return .discard
        }
    }
}
