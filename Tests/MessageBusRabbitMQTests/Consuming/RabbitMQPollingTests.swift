import MessageBusIntegrationSupport
import Foundation
import MessageBus
import MessageBusRabbitMQ
import Testing

/// `basic.get`: polling a queue one message at a time, settled like any delivery.
@Suite(
    "RabbitMQ basic.get polling (real broker)",
    .enabled(if: IntegrationGate.isEnabled, IntegrationGate.skipComment),
    .timeLimit(.minutes(1))
)
struct RabbitMQPollingTests {
    @Test("get takes messages in order, nil when empty; a requeued one comes back with its attempt raised")
    func getSettlesLikeADelivery() async throws {
        try await withTopology { bus, name in
            let queue = try await bus.declare(RabbitMQQueue(name, type: .quorum, expires: .seconds(60))).name
            try await bus.bind(RabbitMQBinding(.queue(queue), to: "amq.direct", routingKey: queue))
            #expect(try await bus.get(from: queue) == nil)
            try await bus.publish(
                contentsOf: [Message(text: "one", key: queue, id: "1"), Message(text: "two", key: queue, id: "2")],
                to: "amq.direct")

            let first = try #require(try await bus.get(from: queue))
            #expect(first.message.id == "1" && first.message.text == "one" && first.attempt == 1)
            #expect(first.destination == queue)
            try await first.nack(requeue: true)
            let second = try #require(try await bus.get(from: queue))
            #expect(second.message.id == "2")
            try await second.ack()
            let again = try #require(try await bus.get(from: queue))
            #expect(again.message.id == "1" && again.attempt == 2)
            try await again.ack()
            #expect(try await bus.get(from: queue) == nil)
            await #expect(throws: MessageBusError.self) { try await again.ack() }
            try await bus.deleteQueue(queue)
        }
    }

    @Test("under effectively-once, get skips (and acknowledges) a message the bus already settled")
    func getSkipsSettledDuplicates() async throws {
        try await RabbitMQTestBus.requireBroker()
        let bus = try #require(
            try await RabbitMQTestBus.open(MessageBusConfiguration(guarantee: .effectivelyOnce())) as? RabbitMQMessageBus)
        let queue = try await bus.declare(
            RabbitMQQueue(AMQPTestEnvironment.uniqueName("test.get-dedupe"), type: .quorum, expires: .seconds(60))).name
        try await bus.bind(RabbitMQBinding(.queue(queue), to: "amq.direct", routingKey: queue))
        try await bus.publish(Message(text: "first", key: queue, id: "dup"), to: "amq.direct")
        let first = try #require(try await bus.get(from: queue))
        try await first.ack()
        try await bus.publish(
            contentsOf: [Message(text: "again", key: queue, id: "dup"), Message(text: "fresh", key: queue, id: "fresh")],
            to: "amq.direct")
        let next = try #require(try await bus.get(from: queue))
        #expect(next.message.id == "fresh")
        try await next.ack()
        #expect(try await bus.get(from: queue) == nil, "the skipped copy was acknowledged, not left in the queue")
        try await bus.deleteQueue(queue)
        try await bus.close()
    }

    @Test("get from a missing queue is a typed error, and polling goes on working afterwards")
    func getFromMissingQueue() async throws {
        try await withTopology { bus, name in
            let missing = try await #require(throws: MessageBusError.self) { try await bus.get(from: "\(name).missing") }
            #expect(missing.code == .unknownDestination && missing.message.contains("\(name).missing"), "\(missing)")
            let queue = try await bus.declare(RabbitMQQueue(name, durable: false, expires: .seconds(60))).name
            try await bus.bind(RabbitMQBinding(.queue(queue), to: "amq.direct", routingKey: queue))
            try await bus.publish(Message(text: "there", key: queue), to: "amq.direct")
            let delivery = try #require(try await bus.get(from: queue))
            try await delivery.ack()
        }
    }

    @Test("a polled delivery whose channel the broker closed is refused settling and comes back, never acked by mistake")
    func settleAfterPollingChannelReset() async throws {
        try await withTopology { bus, name in
            let queue = try await bus.declare(RabbitMQQueue(name, type: .quorum, expires: .seconds(60))).name
            try await bus.bind(RabbitMQBinding(.queue(queue), to: "amq.direct", routingKey: queue))
            try await bus.publish(
                contentsOf: [Message(text: "one", key: queue, id: "1"), Message(text: "two", key: queue, id: "2")],
                to: "amq.direct")
            let first = try #require(try await bus.get(from: queue))
            #expect(first.message.id == "1")
            // The broker closes the polling channel: "1" goes back to the queue.
            await #expect(throws: MessageBusError.self) { try await bus.get(from: "\(name).missing") }
            let second = try #require(try await bus.get(from: queue))
            // The new channel numbers its deliveries from 1 again: settling the old "1" must not ack this one.
            let stale = try await #require(throws: MessageBusError.self) { try await first.ack() }
            #expect(stale.code == .alreadySettled, "\(stale)")
            try await second.nack(requeue: true)
            var ids: [String] = []
            while let delivery = try await bus.get(from: queue) {
                ids.append(delivery.message.id)
                try await delivery.ack()
            }
            #expect(ids.sorted() == ["1", "2"], "both messages are still there: \(ids)")
            try await bus.deleteQueue(queue)
        }
    }

    @Test("a get whose caller is cancelled while the broker answers gives the message back to its queue")
    func cancelledGetGivesTheMessageBack() async throws {
        try await withTopology { bus, name in
            let queue = try await bus.declare(RabbitMQQueue(name, type: .quorum, expires: .seconds(60))).name
            try await bus.bind(RabbitMQBinding(.queue(queue), to: "amq.direct", routingKey: queue))
            try await bus.publish(Message(text: "only", key: queue, id: "only"), to: "amq.direct")
            var cancelledInFlight = 0
            for round in 0..<50 {
                let getting = Task { try await bus.get(from: queue) }
                if round % 2 == 1 { await Task.yield() }
                getting.cancel()
                switch await getting.result {
                case .success(let delivery?): try await delivery.nack(requeue: true)
                case .success(nil): break
                case .failure(let error):
                    #expect(error is CancellationError, "\(error)")
                    cancelledInFlight += 1
                }
            }
            print("cancelled gets while in flight: \(cancelledInFlight) of 50")
            // Every message a cancelled get took went back: the one message is there to take. Given time: in one CI
            // run (200 cancelled gets, other suites running) the first get after them took more than 10 seconds.
            var taken: Delivery?
            try await eventually("the message is back in its queue", timeout: .seconds(40)) {
                taken = try await bus.get(from: queue)
                return taken != nil
            }
            #expect(taken?.message.id == "only")
            try await taken?.ack()
            try await bus.deleteQueue(queue)
        }
    }
}
