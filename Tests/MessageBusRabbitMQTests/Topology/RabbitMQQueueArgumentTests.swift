import MessageBusIntegrationSupport
import Foundation
import MessageBus
import MessageBusRabbitMQ
import Testing

/// Queue arguments do what RabbitMQ documents: expiry and delivery limits dead-letter, overflow refuses.
@Suite(
    "RabbitMQ queue arguments and dead-lettering (real broker)",
    .enabled(if: IntegrationGate.isEnabled, IntegrationGate.skipComment),
    .timeLimit(.minutes(1))
)
struct RabbitMQQueueArgumentTests {
    @Test("a message that outlives the queue's TTL is dead-lettered to the dead-letter queue")
    func ttlExpiryDeadLetters() async throws {
        try await withTopology { bus, name in
            let deadLetters = try await bus.declareDeadLetterQueue(name)
            try await bus.declare(RabbitMQExchange(name, type: .direct, durable: false, autoDelete: true))
            let queue = try await bus.declare(RabbitMQQueue(
                "\(name).short-lived", durable: false, messageTTL: .milliseconds(100), expires: .seconds(60),
                deadLetterExchange: deadLetters.exchange)).name
            try await bus.bind(RabbitMQBinding(.queue(queue), to: name, routingKey: "k"))
            try await bus.publish(Message(text: "expires", key: "k", id: "expiring"), to: name)

            try await bus.withNextDelivery(from: deadLetters.queue) { expired in
                #expect(expired.message.id == "expiring")
                #expect(expired.message.headers["x-first-death-reason"] == "expired")
                #expect(expired.message.headers["x-first-death-queue"] == queue)
                try await expired.ack()
            }
            #expect(try await bus.inspectQueue(queue).messageCount == 0)
        }
    }

    @Test("a quorum queue dead-letters a message requeued more often than its delivery limit")
    func deliveryLimitDeadLetters() async throws {
        try await withTopology { bus, name in
            let deadLetters = try await bus.declareDeadLetterQueue(name)
            let queue = try await bus.declare(RabbitMQQueue(
                "\(name).limited", type: .quorum, expires: .seconds(60), deadLetterExchange: deadLetters.exchange,
                deliveryLimit: 2)).name
            try await bus.bind(RabbitMQBinding(.queue(queue), to: "amq.direct", routingKey: queue))
            try await bus.publish(Message(text: "poison", key: queue, id: "poison"), to: "amq.direct")

            let subscription = try await bus.subscribe(toQueue: queue)
            var attempts: [Int] = []
            // Three deliveries, each waited for generously (a requeue on a quorum queue goes through its Raft log,
            // slow on a loaded machine); the third nack passes the limit, and the broker dead-letters the message
            // rather than delivering it a fourth time, which the short wait after it would catch.
            while attempts.count < 3 {
                let batch = try await subscription.receive(max: 1, timeout: .seconds(15))
                guard let delivery = batch.first else { break }
                attempts.append(delivery.attempt)
                try await delivery.nack(requeue: true)
            }
            let fourth = try await subscription.receive(max: 1, timeout: .milliseconds(500))
            attempts += fourth.map(\.attempt)
            await subscription.cancel()
            #expect(attempts == [1, 2, 3], "x-delivery-count raises the attempt until the limit")
            try await bus.withNextDelivery(from: deadLetters.queue) { deadLettered in
                #expect(deadLettered.message.id == "poison")
                #expect(deadLettered.message.headers["x-first-death-reason"] == "delivery_limit")
                try await deadLettered.ack()
            }
            try await bus.deleteQueue(queue)
        }
    }

    @Test("reject on a queue subscription is a nack the queue's dead-letter exchange routes")
    func rejectUsesTheQueuesDeadLetterExchange() async throws {
        try await withTopology { bus, name in
            let deadLetters = try await bus.declareDeadLetterQueue(name)
            let queue = try await bus.declare(RabbitMQQueue(
                "\(name).work", durable: false, expires: .seconds(60), deadLetterExchange: deadLetters.exchange,
                deadLetterRoutingKey: "rejected")).name
            try await bus.bind(RabbitMQBinding(.queue(queue), to: "amq.direct", routingKey: queue))
            try await bus.publish(Message(text: "bad", key: queue, id: "bad"), to: "amq.direct")
            try await bus.withNextDelivery(from: queue) { try await $0.reject(reason: "cannot parse") }

            try await bus.withNextDelivery(from: deadLetters.queue) { rejected in
                #expect(rejected.message.id == "bad")
                #expect(rejected.message.key == "rejected")
                #expect(rejected.message.headers["x-first-death-reason"] == "rejected")
                try await rejected.ack()
            }
        }
    }

    @Test("single active consumer: one consumer gets everything; the standby takes over when it goes")
    func singleActiveConsumer() async throws {
        try await withTopology { bus, name in
            let queue = try await bus.declare(RabbitMQQueue(
                name, durable: false, expires: .seconds(60), singleActiveConsumer: true)).name
            try await bus.bind(RabbitMQBinding(.queue(queue), to: "amq.direct", routingKey: queue))
            let active = try await bus.subscribe(toQueue: queue)
            let standby = try await bus.subscribe(toQueue: queue)
            try await bus.publish(contentsOf: (0..<5).map { Message(text: "\($0)", key: queue) }, to: "amq.direct")
            var first: [Delivery] = []
            while first.count < 5 {
                let batch = try await active.receive(max: 5, timeout: .seconds(10))
                guard !batch.isEmpty else { break }
                first += batch
            }
            #expect(first.count == 5)
            #expect(try await standby.receive(max: 5, timeout: .milliseconds(300)).isEmpty)

            // Unsettled deliveries of the consumer that leaves go to the one that takes over.
            try await first.prefix(2).ackAll()
            await active.cancel()
            var takenOver: [Delivery] = []
            while takenOver.count < 3 {
                let batch = try await standby.receive(max: 5, timeout: .seconds(10))
                guard !batch.isEmpty else { break }
                takenOver += batch
            }
            #expect(takenOver.map(\.message.text) == first.suffix(3).map(\.message.text))
            try await takenOver.ackAll()
            await standby.cancel()
        }
    }

    @Test("max-length with reject-publish: the publish beyond the limit fails with a typed nack error")
    func rejectPublishOverflowIsANack() async throws {
        try await withTopology { bus, name in
            let queue = try await bus.declare(RabbitMQQueue(
                "\(name).capped", durable: false, expires: .seconds(60), maxLength: 2, overflow: .rejectPublish)).name
            try await bus.bind(RabbitMQBinding(.queue(queue), to: "amq.direct", routingKey: queue))
            try await bus.publish(contentsOf: [Message(text: "1", key: queue), Message(text: "2", key: queue)], to: "amq.direct")
            let error = try await #require(throws: MessageBusError.self) {
                try await bus.publish(Message(text: "3", key: queue, id: "third"), to: "amq.direct")
            }
            #expect(error.code == .brokerError, "\(error)")
            #expect(error.isRetriable)
            #expect(error.message.contains("'third'") && error.message.contains("basic.nack"), "\(error.message)")
            #expect(try await bus.purgeQueue(queue) == 2)
        }
    }
}

extension RabbitMQMessageBus {
    /// A fanout exchange `<name>.dlx` and a queue bound to it, for dead-letter tests.
    func declareDeadLetterQueue(_ name: String) async throws -> (exchange: String, queue: String) {
        let exchange = "\(name).dlx"
        try await self.declare(RabbitMQExchange(exchange, type: .fanout, durable: false, autoDelete: true))
        let queue = try await self.declare(RabbitMQQueue("\(name).dlq", durable: false, expires: .seconds(60))).name
        try await self.bind(RabbitMQBinding(.queue(queue), to: exchange))
        return (exchange, queue)
    }

    /// Runs `body` with the next delivery from `queue`, then cancels the consumer; fails when nothing arrives
    /// within 10 seconds.
    func withNextDelivery(from queue: String, _ body: (Delivery) async throws -> Void) async throws {
        let subscription = try await self.subscribe(toQueue: queue, options: SubscriptionOptions(prefetch: 1))
        do {
            let batch = try await subscription.receive(max: 1, timeout: .seconds(10))
            try await body(try #require(batch.first, "nothing arrived in queue \(queue) within 10 s"))
        } catch {
            await subscription.cancel()
            throw error
        }
        await subscription.cancel()
    }
}
