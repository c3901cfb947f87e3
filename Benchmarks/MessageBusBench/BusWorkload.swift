import Logging
import MessageBus
import MessageBusKafka
import MessageBusRabbitMQ

/// The code a MessageBus user writes for each case, against one URL with default settings.
struct BusWorkload: Sendable {
    let url: String
    let payload: [UInt8]
    /// How long a consumer may wait for its messages before the case fails rather than hangs.
    let timeout: Duration

    /// How the consumer settles.
    enum Consumption {
        /// `for try await delivery in subscription { try await delivery.ack() }`.
        case forAwaitAckEach
        /// `subscription.receive(max:)` then `batch.ackAll()`.
        case receiveAckAll(max: Int)
    }

    /// How the publisher publishes: always fresh `Message(payload:)` values, whose id and timestamp the default
    /// initializer makes, as an application's messages are.
    enum Publication {
        /// `send(_:to:)` per message, then one `flush()`.
        case sendEachThenFlush
        /// `publish(contentsOf:to:)` of batches of this size, each returning once the broker has all of it.
        case confirmedBatches(Int)
    }

    func connect() async throws -> any MessageBus {
        var logger = Logger(label: "messagebus-bench")
        logger.logLevel = .warning
        return try await MessageBusConnector.connect(to: self.url, backends: [.inMemory, .kafka, .rabbitMQ], logger: logger)
    }

    /// Runs `body` with a bus of its own and closes the bus afterwards, also when `body` throws.
    func withBus<Value: Sendable>(_ body: (any MessageBus) async throws -> Value) async throws -> Value {
        let bus = try await self.connect()
        do {
            let value = try await body(bus)
            try await bus.close()
            return value
        } catch {
            try? await bus.close()
            throw error
        }
    }

    /// Subscribes each group once, so that its queue (RabbitMQ) exists before anything is published.
    func provision(destination: String, groups: [String]) async throws {
        try await self.withBus { bus in
            for group in groups {
                let subscription = try await bus.subscribe(to: destination, group: group, options: Self.options)
                await subscription.cancel()
            }
        }
    }

    /// Consumes `count` messages as `group`, timed from the first delivery to the last settlement.
    func consume(destination: String, group: String, count: Int, as consumption: Consumption) async throws -> CaseResult {
        try await self.withBus { bus in
            let subscription = try await bus.subscribe(to: destination, group: group, options: Self.options)
            var meter = Meter()
            let consumed = try await Self.drain(subscription, count: count, as: consumption, timeout: self.timeout) { _ in
                meter.begin()
                return true
            }
            meter.finish()
            return try meter.result(messages: consumed)
        }
    }

    /// Publishes `count` fresh messages, timed until the broker has acknowledged all of them.
    ///
    /// Every publisher of every client first publishes one confirmed warm-up message outside the window, so that
    /// connecting, opening channels and getting an idempotent producer id (hundreds of milliseconds with some
    /// librdkafka versions) are not measured: `connect` has done only part of that for MessageBus.
    func publish(destination: String, count: Int, as publication: Publication) async throws -> CaseResult {
        try await self.withBus { bus in
            try await bus.publish(Message(payload: self.payload), to: destination)
            var meter = Meter()
            meter.begin()
            switch publication {
            case .sendEachThenFlush:
                for _ in 0..<count {
                    try await bus.send(Message(payload: self.payload), to: destination)
                }
                try await bus.flush()
            case .confirmedBatches(let size):
                var published = 0
                while published < count {
                    let batch = (0..<min(size, count - published)).map { _ in Message(payload: self.payload) }
                    try await bus.publish(contentsOf: batch, to: destination)
                    published += batch.count
                }
            }
            meter.finish()
            return try meter.result(messages: count)
        }
    }

    /// Default options except the start position: a new group reads what was published before it subscribed.
    static let options = SubscriptionOptions(startPosition: .earliest)

    /// Takes deliveries until `body` has accepted `count` of them, settling each as `consumption` says after
    /// `body` saw it, and returns how many it accepted (more than `count` when the last batch held more). The
    /// subscription is cancelled after `timeout`, so a consumer whose messages never come ends with an error
    /// instead of hanging the run.
    @discardableResult
    static func drain(
        _ subscription: Subscription, count: Int, as consumption: Consumption, timeout: Duration,
        _ body: (Delivery) -> Bool
    ) async throws -> Int {
        let watchdog = Task {
            try? await Task.sleep(for: timeout)
            if !Task.isCancelled { await subscription.cancel() }
        }
        defer { watchdog.cancel() }
        var accepted = 0
        do {
            switch consumption {
            case .forAwaitAckEach:
                for try await delivery in subscription {
                    if body(delivery) { accepted += 1 }
                    try await delivery.ack()
                    if accepted == count { break }
                }
            case .receiveAckAll(let max):
                while accepted < count {
                    let batch = try await subscription.receive(max: max)
                    for delivery in batch where body(delivery) { accepted += 1 }
                    try await batch.ackAll()
                }
            }
        } catch {
            throw BenchError("MessageBus consumer accepted \(accepted) of \(count): \(error)")
        }
        guard accepted >= count else {
            throw BenchError("MessageBus consumer accepted \(accepted) of \(count) within \(timeout)")
        }
        return accepted
    }
}
