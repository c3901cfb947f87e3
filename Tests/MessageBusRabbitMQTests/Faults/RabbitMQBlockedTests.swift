import MessageBusIntegrationSupport
import Foundation
import Logging
import MessageBus
import MessageBusRabbitMQ
import Testing

/// `connection.blocked` (a memory alarm on the broker) is honoured as backpressure: publishes wait, and time out
/// with a typed error if the alarm lasts; once unblocked, what was written is confirmed and delivered.
@Suite(
    "RabbitMQ connection.blocked (own node)",
    .enabled(if: IntegrationGate.isEnabled, IntegrationGate.skipComment),
    .timeLimit(.minutes(2))
)
struct RabbitMQBlockedTests {
    static let node = TestNode(name: "messagebus-blocked", amqpPort: 5684, distributionPort: 25684)

    @Test("a memory alarm blocks publishing (timeout), clearing it lets the publishes through with nothing lost")
    func blockedPublishingWaits() async throws {
        try await Self.node.start()
        do {
            try await self.runBlocked()
        } catch {
            await Self.node.wipe()
            throw error
        }
        await Self.node.wipe()
    }

    private func runBlocked() async throws {
        let bus = try await RabbitMQMessageBus(
            rabbitMQ: RabbitMQConfiguration(endpoints: [RabbitMQEndpoint(host: "127.0.0.1", port: Self.node.amqpPort)]),
            configuration: MessageBusConfiguration(publishTimeout: .seconds(3)), logger: Logger(label: "test.blocked"))
        let events = bus.connectionEvents()
        let subscription = try await bus.subscribe(to: "test.blocked", group: "workers")
        try await bus.publish(Message(text: "before", id: "before"), to: "test.blocked")

        // Any memory use is now above the watermark: the broker raises its memory alarm and blocks publishers.
        _ = try await Self.node.rabbitmqctl(["set_vm_memory_high_watermark", "absolute", "1"])
        let started = ContinuousClock.now
        let error = try await #require(throws: MessageBusError.self) {
            try await bus.publish(Message(text: "during", id: "during"), to: "test.blocked")
        }
        let waited = ContinuousClock.now - started
        print("blocked publish failed after \(waited): \(error)")
        #expect(error.code == .timeout, "\(error)")
        #expect(waited >= .seconds(2), "gave up after \(waited)")

        _ = try await Self.node.rabbitmqctl(["set_vm_memory_high_watermark", "0.4"])
        try await bus.publish(Message(text: "after", id: "after"), to: "test.blocked")
        var observed: [String] = []
        for await event in events {
            switch event {
            case .blocked(let reason): observed.append("blocked: \(reason)")
            case .unblocked: observed.append("unblocked")
            default: observed.append("\(event)")
            }
            if observed.count == 2 { break }
        }
        #expect(observed.first?.hasPrefix("blocked: ") == true && observed.last == "unblocked", "\(observed)")
        var seen: [String] = []
        try await eventually("before, during and after (got \(seen))", timeout: .seconds(10), pollEvery: .zero) {
            let batch = try await subscription.receive(max: 10, timeout: .milliseconds(500))
            seen += batch.map(\.message.id)
            try await batch.ackAll()
            return Set(seen) == ["before", "during", "after"]
        }
        // The publish that timed out was written before the block: it is delivered once the alarm clears.
        #expect(Set(seen) == ["before", "during", "after"], "\(seen)")
        try await bus.close()
    }
}
