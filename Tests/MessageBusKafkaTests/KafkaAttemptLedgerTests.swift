import MessageBusIntegrationSupport
import Foundation
import MessageBus
@testable import MessageBusKafka
import Testing

/// Attempts count redeliveries Kafka does not count itself: a record handed out and given back by a cancel, a
/// rebalance or a crash comes to the next member with its attempt raised, through the delivery counts the backend
/// commits with the group's offsets. On librdkafka's mock cluster, which keeps offset commit metadata (Tansu 0.6
/// drops it: the conformance suite reports the cancel case unsupported there, by a probe).
@Suite("Kafka attempts across members", .timeLimit(.minutes(2)))
struct KafkaAttemptLedgerTests {
    @Test("the mock cluster keeps offset commit metadata; checkCommitMetadata() says so")
    func probe() async throws {
        let bus = try await KafkaBusFactory.mockBus("ledger-probe")
        let kafka = try #require(bus as? KafkaMessageBus)
        #expect(try await kafka.checkCommitMetadata())
        try await bus.close()
    }

    @Test("a record handed out to a member that crashed comes to the next member with its attempt raised, twice")
    func crashedMember() async throws {
        let bus = try await KafkaBusFactory.mockBus("ledger-crash")
        let kafka = try #require(bus as? KafkaMessageBus)
        let topic = KafkaTestEnvironment.uniqueName("ledger-crash")
        let options = SubscriptionOptions(startPosition: .earliest)
        try await bus.publish(
            contentsOf: [Message(text: "done", key: "k", id: "done"), Message(text: "fatal", key: "k", id: "fatal")],
            to: topic)
        var attempts: [Int] = []
        for _ in 1...3 {
            let subscription = try await bus.subscribe(to: topic, group: "workers", options: options)
            var delivery = try #require(try await subscription.receive(max: 1, timeout: .seconds(30)).first)
            if delivery.message.id == "done" {
                try await delivery.ack()
                delivery = try #require(try await subscription.receive(max: 1, timeout: .seconds(30)).first)
            }
            #expect(delivery.message.id == "fatal")
            attempts.append(delivery.attempt)
            // The message kills its consumer: give the ledger's periodic commit time to land first, as any
            // consumer that worked on a message for longer than that would.
            try await Task.sleep(for: RDKafkaConsumer.ledgerCommitInterval * 3)
            let live = try #require(kafka.liveSubscriptions.first)
            await live.simulateCrash()
        }
        #expect(attempts == [1, 2, 3], "attempts across crashed members: \(attempts)")
        try await bus.close()
    }
}
