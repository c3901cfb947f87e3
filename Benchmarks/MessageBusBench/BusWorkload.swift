import Foundation
import Logging
import MessageBus

/// The same work as the raw baselines, through the MessageBus facade.
struct BusWorkload {
    let url: String
    let backends: [MessageBusBackend]
    let messages: Int
    let payload: [UInt8]

    func connect() async throws -> any MessageBus {
        var logger = Logger(label: "messagebus-bench")
        logger.logLevel = .warning
        return try await MessageBusConnector.connect(to: self.url, backends: self.backends, logger: logger)
    }

    /// Creates the group's queue or the topic, so that publishing before the consumer runs loses nothing.
    func provision(destination: String, group: String) async throws {
        let bus = try await self.connect()
        let subscription = try await bus.subscribe(
            to: destination, group: group, options: SubscriptionOptions(startPosition: .earliest))
        await subscription.cancel()
        try await bus.close()
    }

    /// How the workload publishes.
    enum PublishMode {
        /// Confirmed batches of 1,000: each `publish(contentsOf:)` returns once the broker has all of them (the
        /// windowed-confirm pattern of the raw RabbitMQ publisher).
        case confirmedBatches
        /// `send(contentsOf:)` in batches of 1,000, then one `flush()`: everything in flight at once, as the raw
        /// librdkafka producer does.
        case sendThenFlush
    }

    /// Publishes `messages` as `mode` says, timed until the broker has acknowledged all of them.
    func publish(destination: String, mode: PublishMode) async throws -> Duration {
        let bus = try await self.connect()
        let batch = (0..<1000).map { _ in Message(payload: self.payload, key: nil, timestamp: nil) }
        let elapsed = try await Stopwatch.time {
            var sent = 0
            while sent < self.messages {
                let size = min(1000, self.messages - sent)
                let messages = size == batch.count ? batch : Array(batch.prefix(size))
                switch mode {
                case .confirmedBatches: try await bus.publish(contentsOf: messages, to: destination)
                case .sendThenFlush: try await bus.send(contentsOf: messages, to: destination)
                }
                sent += size
            }
            try await bus.flush()
        }
        try await bus.close()
        return elapsed
    }

    /// Consumes `count` messages as `group`, acknowledging each batch of up to 100, timed first to last.
    func consume(destination: String, group: String, count: Int) async throws -> Duration {
        let bus = try await self.connect()
        let subscription = try await bus.subscribe(
            to: destination, group: group, options: SubscriptionOptions(startPosition: .earliest, prefetch: 1000))
        var stopwatch = Stopwatch()
        var received = 0
        while received < count {
            let batch = try await subscription.receive(max: 100, timeout: .seconds(60))
            guard !batch.isEmpty else {
                throw MessageBusError(.timeout, "MessageBus consumer received \(received) of \(count) within 60 s")
            }
            stopwatch.markFirst()
            received += batch.count
            try await batch.ackAll()
        }
        stopwatch.markLast()
        try await bus.close()
        return stopwatch.elapsed
    }

    func publishThenConsume(destination: String) async throws -> (Duration, Duration) {
        try await self.provision(destination: destination, group: "bench")
        let published = try await self.publish(destination: destination, mode: .confirmedBatches)
        let consumed = try await self.consume(destination: destination, group: "bench", count: self.messages)
        return (published, consumed)
    }
}
