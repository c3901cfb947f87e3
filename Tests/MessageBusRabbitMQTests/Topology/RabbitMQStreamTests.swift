import MessageBusIntegrationSupport
import Foundation
import MessageBus
import MessageBusRabbitMQ
import Testing

/// Stream queues replay: a consumer starts at first, next or an offset, and consuming removes nothing.
@Suite(
    "RabbitMQ streams (real broker)",
    .enabled(if: IntegrationGate.isEnabled, IntegrationGate.skipComment),
    .timeLimit(.minutes(1))
)
struct RabbitMQStreamTests {
    @Test("replay from first, from an offset, and only what comes next")
    func replayFromPositions() async throws {
        try await withTopology { bus, name in
            try await bus.declare(RabbitMQQueue(name, type: .stream, maxAge: .seconds(600)))
            try await bus.bind(RabbitMQBinding(.queue(name), to: "amq.direct", routingKey: name))
            let history = (0..<10).map { Message(text: "event \($0)", key: name, id: "event-\($0)") }
            try await bus.publish(contentsOf: history, to: "amq.direct")

            let fromFirst = try await Self.read(10, from: name, at: .first, on: bus)
            #expect(fromFirst.map(\.id) == history.map(\.id))
            let offsets = fromFirst.map(\.offset)
            #expect(offsets == offsets.sorted() && Set(offsets).count == 10, "\(offsets)")

            // A second consumer from the first again: consuming removed nothing.
            let again = try await Self.read(10, from: name, at: .first, on: bus)
            #expect(again.map(\.id) == history.map(\.id))

            let fromSixth = try await Self.read(5, from: name, at: .offset(offsets[5]), on: bus)
            #expect(fromSixth.map(\.id) == history[5...].map(\.id))

            let next = try await bus.subscribe(toQueue: name, options: SubscriptionOptions(prefetch: 10), streamOffset: .next)
            try await bus.publish(Message(text: "live", key: name, id: "live"), to: "amq.direct")
            let live = try await next.receive(max: 10, timeout: .seconds(10))
            #expect(live.map(\.message.id) == ["live"])
            try await live.ackAll()
            await next.cancel()
            try await bus.deleteQueue(name)
        }
    }

    /// Reads `count` messages from a stream starting at `offset`, acknowledging as it goes (for credit).
    private static func read(
        _ count: Int, from stream: String, at offset: RabbitMQStreamOffset, on bus: RabbitMQMessageBus
    ) async throws -> [(id: String, offset: Int64)] {
        let subscription = try await bus.subscribe(
            toQueue: stream, options: SubscriptionOptions(prefetch: 4), streamOffset: offset)
        var read: [(id: String, offset: Int64)] = []
        while read.count < count {
            let batch = try await subscription.receive(max: count - read.count, timeout: .seconds(10))
            guard !batch.isEmpty else { break }
            for delivery in batch {
                read.append((delivery.message.id, try #require(delivery.position?.offset)))
            }
            try await batch.ackAll()
        }
        await subscription.cancel()
        return read
    }
}
