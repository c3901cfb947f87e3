/// Samples a subscription's lag periodically into its `messagebus.lag` gauge, for backends whose lag is a
/// question to ask (RabbitMQ: a passive queue declare; memory: the group's queue) rather than something their
/// consumer sees go by. Stopped by ``stop()`` when the subscription ends, or when released.
package final class LagSampler: Sendable {
    private let task: Task<Void, Never>

    /// Starts sampling: `lag` is asked every `interval` (an error skips that sample) and reported to `context`.
    package init(
        every interval: Duration, context: SubscriptionContext, lag: @escaping @Sendable () async throws -> Int
    ) {
        self.task = Task { [weak context] in
            while !Task.isCancelled {
                if let value = try? await lag() { context?.recordLag(value) }
                try? await Task.sleep(for: interval)
            }
        }
    }

    /// Stops sampling.
    package func stop() {
        self.task.cancel()
    }

    deinit {
        self.task.cancel()
    }
}
