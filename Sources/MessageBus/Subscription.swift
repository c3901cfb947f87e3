import Logging

/// A subscription: an asynchronous sequence of deliveries.
///
/// Iterate it with `for try await delivery in subscription`, or take batches with ``receive(max:timeout:)``.
/// At most the subscription's prefetch limit of deliveries is ever unsettled, so a slow consumer never makes
/// memory grow. The sequence ends when the subscription is cancelled or its bus is closed. Under
/// effectively-once, deliveries whose message id the group already settled are acknowledged again and skipped, and
/// a copy of a message that arrives while another copy is handed out and unsettled is held until that one is
/// settled (then skipped) or given back (then handed out in its place).
public struct Subscription: AsyncSequence, Sendable {
    /// The element type: a ``Delivery``.
    public typealias Element = Delivery

    private let source: any DeliverySource
    /// What every delivery of this subscription shares.
    public let context: SubscriptionContext

    /// Creates a subscription; called by backends.
    public init(source: any DeliverySource, context: SubscriptionContext) {
        self.source = source
        self.context = context
    }

    /// How many deliveries are handed out or buffered and not yet settled.
    public var unsettledCount: Int { self.source.unsettledCount }

    /// Waits for up to `max` deliveries.
    ///
    /// - Parameters:
    ///   - max: The most deliveries to return; at least 1.
    ///   - timeout: How long to wait for the first one; forever when `nil`.
    /// - Returns: Between 1 and `max` deliveries, or none when the timeout passed or the task was cancelled. A
    ///   cancelled receive returns within about a second and loses no delivery: one it does not return stays
    ///   buffered for the next receive.
    /// - Throws: ``MessageBusError/Code/closed`` once the subscription has ended.
    public func receive(max: Int = 100, timeout: Duration? = nil) async throws -> [Delivery] {
        guard let batch = try await self.nextBatch(max: Swift.max(1, max), timeout: timeout) else {
            throw MessageBusError.closed("the \(self.context)")
        }
        return batch
    }

    /// Ends the subscription; unsettled deliveries go back to the group and are redelivered.
    public func cancel() async {
        await self.source.cancel()
        self.context.forgetCopiesInFlight()
        self.context.recordInFlight(0)
    }

    /// Creates the iterator.
    public func makeAsyncIterator() -> AsyncIterator {
        AsyncIterator(subscription: self)
    }

    /// Iterates the deliveries; it takes them from the backend in batches.
    public struct AsyncIterator: AsyncIteratorProtocol, Sendable {
        private let subscription: Subscription
        private var buffered: [Delivery] = []
        private var index = 0

        init(subscription: Subscription) {
            self.subscription = subscription
        }

        /// The next delivery, or `nil` once the subscription has ended or the task was cancelled.
        public mutating func next() async throws -> Delivery? {
            try await self.nextDelivery()
        }

        /// The next delivery, or `nil` once the subscription has ended or the task was cancelled; what
        /// `for try await` calls. Runs on the caller's actor: the protocol's default would go through ``next()``,
        /// whose requirement hops to the global executor and back for every delivery.
        public mutating func next(isolation actor: isolated (any Actor)?) async throws -> Delivery? {
            try await self.nextDelivery()
        }

        private mutating func nextDelivery() async throws -> Delivery? {
            while self.index == self.buffered.count {
                if Task.isCancelled { return nil }
                guard let batch = try await self.subscription.nextBatch(max: 128, timeout: nil) else { return nil }
                self.buffered = batch
                self.index = 0
            }
            defer { self.index += 1 }
            return self.buffered[self.index]
        }
    }

    /// One batch from the source with duplicates removed; `nil` when the subscription has ended.
    private func nextBatch(max: Int, timeout: Duration?) async throws -> [Delivery]? {
        let deadline = timeout.map { ContinuousClock.now.advanced(by: $0) }
        while true {
            let remaining = deadline.map { $0 - ContinuousClock.now }
            if let remaining, remaining <= .zero { return [] }
            guard self.context.deduplicates else {
                guard let batch = try await self.source.receive(max: max, timeout: remaining) else { return nil }
                if !batch.isEmpty { self.recordReceived(batch) }
                return batch
            }
            var batch = self.context.takeReleasedCopies(max: max)
            if batch.isEmpty {
                if Task.isCancelled { return [] }
                // A held copy is released by a settlement, which need not wake the source: while copies are held,
                // look for released ones between shorter waits.
                let wait = self.context.holdsCopies ? Swift.min(remaining ?? .milliseconds(100), .milliseconds(100)) : remaining
                let received: [Delivery]?
                do {
                    received = try await self.source.receive(max: max, timeout: wait)
                } catch {
                    self.context.forgetCopiesInFlight()
                    throw error
                }
                guard let received else {
                    self.context.forgetCopiesInFlight()
                    return nil
                }
                if received.isEmpty {
                    if wait == remaining { return [] }
                    continue
                }
                self.recordReceived(received)
                batch = received
            }
            let fresh = try await self.context.admit(batch)
            if !fresh.isEmpty { return fresh }
        }
    }

    private func recordReceived(_ batch: [Delivery]) {
        self.context.recordConsumed(batch.count)
        self.context.recordInFlight(self.source.unsettledCount)
    }
}
