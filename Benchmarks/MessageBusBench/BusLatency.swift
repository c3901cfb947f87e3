import MessageBus

extension BusWorkload {
    /// End-to-end latency: one bus sends stamped messages on `schedule` (`send` each, as a service publishing
    /// events does), another consumes them with for-await and `ack()` each, recording when each arrived.
    /// Two buses, as the raw baseline has a producer and a consumer handle: publisher and consumer are usually
    /// different services.
    func latency(destination: String, group: String, schedule: LatencySchedule) async throws -> LatencyResult {
        try await self.withBus { consumerBus in
            try await self.withBus { publisherBus in
                let subscription = try await consumerBus.subscribe(to: destination, group: group, options: Self.options)
                let ready = ReadySignal()
                async let samples = Self.latencies(of: subscription, count: schedule.messages, ready: ready, timeout: self.timeout)
                let size = self.payload.count
                do {
                    // The publisher runs off the consumer's executor, as it would in another service (and as the raw
                    // clients' publisher runs on a thread of its own): sharing one would time the sharing.
                    try await Task.detached {
                        try await schedule.run(ready: ready) { stamp in
                            try await publisherBus.send(Message(payload: LatencyStamp.payload(stamp, size: size)), to: destination)
                        }
                        try await publisherBus.flush()
                    }.value
                } catch {
                    await subscription.cancel()  // ends the consumer now rather than at its timeout
                    throw error
                }
                return LatencyResult(samples: try await samples)
            }
        }
    }

    private static func latencies(
        of subscription: Subscription, count: Int, ready: ReadySignal, timeout: Duration
    ) async throws -> [UInt64] {
        var samples = LatencySamples(expected: count, ready: ready)
        try await Self.drain(subscription, count: count, as: .forAwaitAckEach, timeout: timeout) { delivery in
            delivery.message.payload.withUnsafeBytes { samples.record($0) }
        }
        return samples.values
    }
}
