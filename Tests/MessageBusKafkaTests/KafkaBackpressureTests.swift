import MessageBusIntegrationSupport
import Foundation
import MessageBus
@testable import MessageBusKafka
import Synchronization
import Testing

/// Pause and resume are the backpressure: a consumer a prefetch behind pauses its partitions rather than buffer
/// without bound, and resumes where it stopped once the application catches up.
@Suite("Kafka backpressure", .timeLimit(.minutes(2)))
struct KafkaBackpressureTests {
    @Test("a consumer that falls behind pauses its partitions, then resumes with nothing lost or repeated",
        arguments: ["mock", "real"])
    func pausesAndResumes(broker: String) async throws {
        guard let bus = try await KafkaBusFactory.bus(on: broker, mockName: "backpressure") else { return }
        let kafka = try #require(bus as? KafkaMessageBus)
        let topic = KafkaTestEnvironment.uniqueName("backpressure")
        let keys = ["a", "b", "c"]
        let published = (0..<300).map { Message(text: "m\($0)", key: keys[$0 % 3], id: "m\($0)") }
        try await bus.publish(contentsOf: published, to: topic)
        let subscription = try await bus.subscribe(
            to: topic, group: "slow", options: SubscriptionOptions(startPosition: .earliest, prefetch: 10))

        // Nobody receives: the consumer thread fills the prefetch, then pauses its partitions.
        let consumer = try #require(kafka.liveSubscriptions.first?.consumer)
        try await eventually("the consumer to pause", timeout: .seconds(30), pollEvery: .milliseconds(50)) {
            consumer.pauseCount.load(ordering: .relaxed) > 0
        }
        #expect(subscription.unsettledCount <= 10)

        var received: [Message] = []
        while received.count < published.count {
            let batch = try await subscription.receive(max: 7, timeout: .seconds(20))
            try #require(!batch.isEmpty, "stalled after \(received.count) messages")
            #expect(subscription.unsettledCount <= 10)
            received += batch.map(\.message)
            try await batch.ackAll()
        }
        #expect(Set(received.map(\.id)).count == published.count, "a message was lost or repeated")
        for key in keys {
            #expect(received.filter { $0.key == key }.map(\.id) == published.filter { $0.key == key }.map(\.id))
        }
        try await bus.close()
    }

    @Test("without a prefetch in its options, a subscription holds up to Kafka's default prefetch and no more")
    func defaultPrefetch() async throws {
        guard let bus = try await KafkaBusFactory.bus(on: "mock", mockName: "default-prefetch") else { return }
        let topic = KafkaTestEnvironment.uniqueName("default-prefetch")
        let count = KafkaMessageBus.defaultPrefetch + 200
        for start in stride(from: 0, to: count, by: 500) {
            try await bus.publish(
                contentsOf: (start..<min(count, start + 500)).map { Message(text: "m\($0)") }, to: topic)
        }
        let subscription = try await bus.subscribe(
            to: topic, group: "defaults", options: SubscriptionOptions(startPosition: .earliest))
        try await eventually("the default prefetch to fill", timeout: .seconds(30), pollEvery: .milliseconds(50)) {
            subscription.unsettledCount == KafkaMessageBus.defaultPrefetch
        }
        try await Task.sleep(for: .milliseconds(300))
        #expect(subscription.unsettledCount == KafkaMessageBus.defaultPrefetch)
        try await bus.close()
    }
}
