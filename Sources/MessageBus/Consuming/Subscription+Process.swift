import Logging
import Tracing

extension MessageBus {
    /// Subscribes and runs `handler` for every delivery until the task is cancelled or the bus closes.
    ///
    /// A delivery whose handler returns is acknowledged (unless the handler settled it itself); one whose handler
    /// throws is settled as `retry` says: requeued with its attempt raised, then dead-lettered or dropped once the
    /// attempts are used up. Handlers run inside a span whose parent is the publisher's trace context.
    ///
    /// - Parameters:
    ///   - destination: The destination to consume.
    ///   - group: The subscriber group; `nil` for broadcast.
    ///   - options: Prefetch, start position and dead-letter destination.
    ///   - concurrency: How many handlers may run at once. Deliveries with the same key never run concurrently and
    ///     run in delivery order, so per-key order holds at any concurrency.
    ///   - retry: What to do when the handler throws.
    ///   - handler: Processes one delivery.
    public func consume(
        from destination: String,
        group: String?,
        options: SubscriptionOptions = SubscriptionOptions(),
        concurrency: Int = 1,
        retry: RetryPolicy = .default,
        handler: @escaping @Sendable (Delivery) async throws -> Void
    ) async throws {
        let subscription = try await self.subscribe(to: destination, group: group, options: options)
        try await subscription.process(concurrency: concurrency, retry: retry, handler: handler)
    }
}

extension Subscription {
    /// Runs `handler` for every delivery of this subscription until the task is cancelled or the subscription
    /// ends, then cancels the subscription (anything unsettled goes back to the group).
    ///
    /// See ``MessageBus/consume(from:group:options:concurrency:retry:handler:)`` for the settling rules.
    public func process(
        concurrency: Int = 1,
        retry: RetryPolicy = .default,
        handler: @escaping @Sendable (Delivery) async throws -> Void
    ) async throws {
        do {
            if concurrency <= 1 {
                for try await delivery in self {
                    await Self.handle(delivery, retry: retry, handler: handler)
                }
            } else {
                try await self.processInKeyedLanes(lanes: concurrency, retry: retry, handler: handler)
            }
        } catch {
            await self.cancel()
            throw error
        }
        await self.cancel()
    }

    /// Deliveries go to one of `lanes` sequential workers chosen by key, so a key's deliveries stay in order;
    /// keyless deliveries go round-robin. Each lane holds at most one waiting delivery, so the reader (and with
    /// it the prefetch window) paces itself to the handlers.
    private func processInKeyedLanes(
        lanes count: Int,
        retry: RetryPolicy,
        handler: @escaping @Sendable (Delivery) async throws -> Void
    ) async throws {
        let lanes = (0..<count).map { _ in AsyncBoundedChannel<Delivery>(capacity: 1) }
        try await withThrowingTaskGroup(of: Void.self) { group in
            for lane in lanes {
                group.addTask {
                    while let delivery = await lane.receive() {
                        await Self.handle(delivery, retry: retry, handler: handler)
                    }
                }
            }
            var nextKeyless = 0
            do {
                for try await delivery in self {
                    let index: Int
                    if let key = delivery.message.key {
                        index = Int(UInt(bitPattern: key.hashValue) % UInt(count))
                    } else {
                        index = nextKeyless
                        nextKeyless = (nextKeyless + 1) % count
                    }
                    await lanes[index].send(delivery)
                }
            } catch {
                for lane in lanes { lane.finish() }
                throw error
            }
            for lane in lanes { lane.finish() }
            try await group.waitForAll()
        }
    }

    private static func handle(
        _ delivery: Delivery,
        retry: RetryPolicy,
        handler: @Sendable (Delivery) async throws -> Void
    ) async {
        let outcome: DeliveryOutcome
        do {
            try await withSpan(
                "\(delivery.destination) process", context: delivery.traceContext, ofKind: .consumer
            ) { span in
                span.attributes["messaging.destination.name"] = delivery.destination
                span.attributes["messaging.message.id"] = delivery.message.id
                try await handler(delivery)
            }
            outcome = .ack
        } catch {
            outcome = retry.outcome(afterFailedAttempt: delivery.attempt, error: error)
            delivery.context.logger.debug(
                "handler failed",
                metadata: ["attempt": "\(delivery.attempt)", "outcome": "\(outcome)", "error": "\(error)"])
        }
        guard !delivery.isSettled else { return }
        // A settlement that fails for a passing reason (a requeue or dead-letter publish that timed out) is
        // tried again: on a backend that commits offsets, an unsettled delivery holds its partition back.
        var backoff = Duration.milliseconds(100)
        for attempt in 1...5 {
            do {
                try await delivery.settle(as: outcome)
                return
            } catch let error as MessageBusError where error.isRetriable && attempt < 5 && !Task.isCancelled {
                delivery.context.logger.debug("retrying a settlement", metadata: ["error": "\(error)"])
                try? await Task.sleep(for: backoff)
                backoff *= 2
            } catch {
                // Gone with its connection or subscription (the broker redelivers it to the group), or still
                // failing after the retries: nothing more this handler can do.
                delivery.context.logger.debug("could not settle delivery", metadata: ["error": "\(error)"])
                return
            }
        }
    }
}
