import MessageBusIntegrationSupport
import Foundation
import MessageBus
import MessageBusKafka
import Synchronization
import Testing

/// A consumer group whose membership changes while messages flow loses nothing (at-least-once).
@Suite(
    "Kafka rebalances (real broker)",
    .enabled(if: IntegrationGate.isEnabled, IntegrationGate.skipComment),
    .timeLimit(.minutes(3))
)
struct KafkaRebalanceTests {
    @Test("members joining and leaving while messages flow lose nothing", arguments: [false, true])
    func joinAndLeave(cooperative: Bool) async throws {
        try await KafkaBusFactory.requireRealBroker()
        var kafka = try KafkaConfiguration(url: MessageBusURL(KafkaBusFactory.realBrokerURL))
        kafka.assignmentStrategy = cooperative ? .cooperativeSticky : .eager
        kafka.additionalProperties = ["log_level": "0"]
        let logger = KafkaBusFactory.logger("rebalance")
        let producer = try await KafkaMessageBus(kafka: kafka, logger: logger)
        let topic = KafkaTestEnvironment.uniqueName("rebalance")
        let options = SubscriptionOptions(startPosition: .earliest, prefetch: 50)
        let seen = SeenIDs()
        let total = 600

        let firstBus = try await KafkaMessageBus(kafka: kafka, logger: logger)
        let first = try await firstBus.subscribe(to: topic, group: "workers", options: options)
        let leaving = Flag()
        let firstTask = Task { try await Self.member(first, seen: seen, total: total, until: { false }) }
        let publishing = Task {
            for chunk in 0..<30 {
                try await producer.publish(
                    contentsOf: (0..<20).map { Message(text: "m", key: "k\(($0 + chunk) % 12)", id: "c\(chunk)-\($0)") },
                    to: topic)
                try await Task.sleep(for: .milliseconds(50))
            }
        }
        // A second member joins while messages flow, then leaves again.
        let secondBus = try await KafkaMessageBus(kafka: kafka, logger: logger)
        let second = try await secondBus.subscribe(to: topic, group: "workers", options: options)
        let secondTask = Task { try await Self.member(second, seen: seen, total: total, until: { leaving.isSet }) }
        try await Task.sleep(for: .seconds(1))
        leaving.set()
        try await secondTask.value
        try await secondBus.close()
        try await publishing.value
        // A timeout is recorded, not thrown, so that the member and the buses still end.
        await #expect(throws: Never.self, "lost messages across the rebalances") {
            try await eventually(
                "all \(total) messages (saw \(seen.count))", timeout: .seconds(60), pollEvery: .milliseconds(100)
            ) { seen.count >= total }
        }
        firstTask.cancel()
        _ = await firstTask.result
        #expect(seen.count == total, "lost messages across the rebalances")
        try await firstBus.close()
        try await producer.close()
    }

    /// One member: receives and acknowledges until `stop` says so or everything was seen.
    static func member(
        _ subscription: Subscription, seen: SeenIDs, total: Int, until stop: @escaping @Sendable () -> Bool
    ) async throws {
        while !stop(), seen.count < total {
            let batch = try await subscription.receive(max: 20, timeout: .milliseconds(200))
            seen.insert(batch.map(\.message.id))
            try await batch.ackAll()
        }
    }

    final class SeenIDs: Sendable {
        private let ids = Mutex<Set<String>>([])
        var count: Int { self.ids.withLock { $0.count } }
        func insert(_ new: [String]) { self.ids.withLock { $0.formUnion(new) } }
    }

    final class Flag: Sendable {
        private let value = Mutex(false)
        var isSet: Bool { self.value.withLock { $0 } }
        func set() { self.value.withLock { $0 = true } }
    }
}
