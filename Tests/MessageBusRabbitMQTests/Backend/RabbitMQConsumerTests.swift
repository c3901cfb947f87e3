import MessageBusIntegrationSupport
import Foundation
import MessageBus
import MessageBusRabbitMQ
import Testing

/// Consumer behaviour specific to RabbitMQ: prefetch and broker-side cancellation.
@Suite(
    "RabbitMQ consumers (real broker)",
    .enabled(if: IntegrationGate.isEnabled, IntegrationGate.skipComment),
    .timeLimit(.minutes(1))
)
struct RabbitMQConsumerTests {
    @Test("a consumer whose queue is deleted ends with a typed error")
    func queueDeletedCancelsConsumer() async throws {
        try await RabbitMQTestBus.requireBroker()
        try await withTestBus(open: { try await RabbitMQTestBus.openRabbitMQ() }) { bus in
            let events = bus.connectionEvents()
            let destination = "test.cancel.\(UUID().uuidString.prefix(8).lowercased())"
            let subscription = try await bus.subscribe(to: destination, group: "doomed")
            _ = try await onDedicatedThread("rabbitmqctl") {
                try BrokerControl.rabbitmqctl(["delete_queue", "\(destination).doomed"])
            }
            let error = try await #require(throws: MessageBusError.self) {
                _ = try await subscription.receive(max: 1, timeout: .seconds(10))
            }
            #expect(error.code == .unknownDestination, "\(error)")
            #expect(error.message.contains("\(destination).doomed"))
            var iterator = events.makeAsyncIterator()
            if case .consumerCancelled(let queue, _) = await iterator.next() {
                #expect(queue == "\(destination).doomed")
            } else {
                Issue.record("expected a consumerCancelled event")
            }
            try await bus.checkReadiness()
        }
    }

    @Test("the broker never has more unacknowledged deliveries out than the prefetch")
    func prefetchHonoured() async throws {
        try await RabbitMQTestBus.requireBroker()
        try await withTestBus(open: { try await RabbitMQTestBus.open() }) { bus in
            let destination = "test.prefetch.\(UUID().uuidString.prefix(8).lowercased())"
            let subscription = try await bus.subscribe(
                to: destination, group: "slow", options: SubscriptionOptions(startPosition: .earliest, prefetch: 5))
            try await bus.publish(contentsOf: (0..<50).map { Message(text: "m\($0)") }, to: destination)
            _ = try await subscription.receive(max: 1, timeout: .seconds(10))
            // Quorum queues publish their counters every few seconds: poll until they show the consumer's share.
            var unacknowledged: Int?
            try await eventually(
                "5 unacknowledged (last seen \(unacknowledged.map(String.init) ?? "none"))", timeout: .seconds(15),
                pollEvery: .milliseconds(500)
            ) {
                let listing = try await onDedicatedThread("rabbitmqctl") {
                    try BrokerControl.rabbitmqctl(["-q", "list_queues", "name", "messages_unacknowledged"])
                }
                let line = listing.split(separator: "\n").first { $0.hasPrefix("\(destination).slow\t") }
                unacknowledged = line.flatMap { Int($0.split(separator: "\t").last ?? "") }
                #expect((unacknowledged ?? 0) <= 5, "the broker reports \(line ?? "no queue")")
                return unacknowledged == 5
            }
            #expect(unacknowledged == 5)
            #expect(subscription.unsettledCount == 5)
        }
    }

    @Test("a group subscribed again at once on the same connection settles only its own deliveries")
    func resubscribeAtOnceSettlesOwnDeliveries() async throws {
        try await RabbitMQTestBus.requireBroker()
        try await withTestBus(open: { try await RabbitMQTestBus.open() }) { bus in
            let destination = "test.resubscribe.\(UUID().uuidString.prefix(8).lowercased())"
            let options = SubscriptionOptions(startPosition: .earliest, prefetch: 2_000)
            try await bus.subscribe(to: destination, group: "workers", options: options).cancel()
            let total = 6_000
            // Payloads large enough that the broker is still sending a full prefetch when the first one arrives.
            let padding = String(repeating: "x", count: 2_048)
            try await bus.publish(
                contentsOf: (0..<total).map { Message(text: "m\($0) \(padding)", id: "m\($0)") }, to: destination)
            var seen = Set<String>()
            // Each cancel closes a channel while the broker is still pushing deliveries on it; the next
            // subscription must not take those for its own (their tags acked on its channel close it: 406).
            for _ in 0..<5 {
                let subscription = try await bus.subscribe(to: destination, group: "workers", options: options)
                let batch = try await subscription.receive(max: 1, timeout: .seconds(10))
                #expect(!batch.isEmpty)
                seen.formUnion(batch.map(\.message.id))
                try await batch.ackAll()
                await subscription.cancel()
            }
            let last = try await bus.subscribe(to: destination, group: "workers", options: options)
            try await eventually("all \(total) messages (saw \(seen.count))", timeout: .seconds(40), pollEvery: .zero) {
                let batch = try await last.receive(max: 500, timeout: .seconds(2))
                seen.formUnion(batch.map(\.message.id))
                try await batch.ackAll()
                return seen.count == total
            }
            #expect(seen.count == total)
        }
    }
}

