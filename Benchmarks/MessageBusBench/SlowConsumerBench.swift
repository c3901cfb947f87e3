import Foundation
import MessageBus
import MessageBusKafka
import MessageBusRabbitMQ

/// `--slow-consumer`: a backlog worked through by a for-await + `ack()` handler ten times slower than the consumer
/// itself, printing resident-memory samples: with a bounded prefetch the resident set stays flat however large the
/// backlog, because the subscription never holds more than its prefetch of unsettled deliveries.
struct SlowConsumerBench {
    let messages: Int
    /// The handler's cost per message: ten times the consumer's own, measured by the for-await case of this run.
    let handlerCost: Duration
    let timeout: Duration

    /// Ten times the per-message time of `backend`'s for-await + `ack()` consumer in `table` (of 10 µs when that
    /// case did not run or failed).
    init(messages: Int, backend: String, table: BenchTable, timeout: Duration) {
        let rate = table.cases.first { $0.backend == backend && $0.name.contains("for-await") }?.result(.messageBus)?.rate
        self.messages = messages
        self.handlerCost = .nanoseconds(Int64(10 * 1e9 / (rate ?? 100_000)))
        self.timeout = timeout
    }

    /// Consumes the backlog already in `destination`'s group `bus`, printing the resident set once a second.
    func run(backend: String, workload: BusWorkload, destination: String) async {
        print(String(
            format: "\nslow consumer, %@: %d messages, handler %.1f µs per message, prefetch %d; RSS MiB every second:",
            backend, self.messages, self.handlerCost.seconds * 1e6,
            BusWorkload.options.effectivePrefetch(
                default: backend == "kafka" ? KafkaMessageBus.defaultPrefetch : RabbitMQMessageBus.defaultPrefetch)))
        let sampler = RSSSampler()
        defer { _ = sampler.stop() }
        let started = ContinuousClock.now
        do {
            try await workload.withBus { bus in
                let subscription = try await bus.subscribe(to: destination, group: "bus", options: BusWorkload.options)
                try await BusWorkload.drain(
                    subscription, count: self.messages, as: .forAwaitAckEach,
                    timeout: self.handlerCost * self.messages + self.timeout
                ) { _ in
                    let end = ContinuousClock.now + self.handlerCost
                    while ContinuousClock.now < end {}  // the handler's work: CPU-bound, as a slow handler often is
                    return true
                }
            }
        } catch {
            print("slow consumer, \(backend): ERROR \(error)")
            return
        }
        let elapsed = ContinuousClock.now - started
        let samples = sampler.stop()
        let mebibytes = samples.map { Double($0.bytes) / 1_048_576 }
        print(samples.map { String(format: "%.0fs %.1f", $0.elapsed.seconds, Double($0.bytes) / 1_048_576) }
            .joined(separator: " | "))
        // The first seconds include connecting and the group join; the steady state is what must stay flat.
        let steady = mebibytes.dropFirst(min(3, mebibytes.count / 4))
        print(String(
            format: "consumed %d in %.1f s (%.0f msg/s); RSS MiB min %.1f, max %.1f; after the first seconds min %.1f, max %.1f",
            self.messages, elapsed.seconds, Double(self.messages) / elapsed.seconds, mebibytes.min() ?? 0,
            mebibytes.max() ?? 0, steady.min() ?? 0, steady.max() ?? 0))
    }
}
