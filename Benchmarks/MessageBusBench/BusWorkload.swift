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

    /// Publishes `messages` in confirmed batches of 1,000 (the raw publisher's window).
    func publish(destination: String) async throws -> Duration {
        let bus = try await self.connect()
        let batch = (0..<1000).map { _ in Message(payload: self.payload, key: nil, timestamp: nil) }
        let elapsed = try await Stopwatch.time {
            var sent = 0
            while sent < self.messages {
                let size = min(1000, self.messages - sent)
                try await bus.publish(contentsOf: size == batch.count ? batch : Array(batch.prefix(size)), to: destination)
                sent += size
            }
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
        let published = try await self.publish(destination: destination)
        let consumed = try await self.consume(destination: destination, group: "bench", count: self.messages)
        return (published, consumed)
    }
}
