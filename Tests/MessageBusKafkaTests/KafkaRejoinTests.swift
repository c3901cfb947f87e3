import MessageBusIntegrationSupport
import MessageBus
@testable import MessageBusKafka
import Synchronization
import Testing

/// A member that the group coordinator makes rejoin (a heartbeat answered with REBALANCE_IN_PROGRESS, as a broker
/// does when it thinks the member was too slow) gets its partitions back where it stood: a start position of
/// `.latest` is where the subscription began, not the end of the log at the later assignment.
@Suite("Kafka rejoin after a rebalance (mock cluster)", .timeLimit(.minutes(2)))
struct KafkaRejoinTests {
    @Test("a broadcast subscriber made to rejoin before it read anything still gets every record published after it subscribed")
    func latestStartSurvivesRejoin() async throws {
        let (bus, cluster, topic, subscription, consumer) = try await Self.broadcastAfterHistory(
            "rejoin", options: SubscriptionOptions(prefetch: 1))
        #expect(consumer.assignmentCount.load(ordering: .relaxed) == 1)

        // Published while nobody receives: one record is buffered, the rest wait in the log.
        let news = (0..<10).map { Message(text: "news-\($0)", key: "k", id: "news-\($0)") }
        try await bus.publish(contentsOf: news, to: topic)
        try await eventually("a record to be buffered", timeout: .seconds(20), pollEvery: .milliseconds(20)) {
            subscription.unsettledCount == 1
        }
        // The revoke drops the buffered record; the partition must come back at the subscription's start, not at
        // the end of the log the ten records already reached.
        try cluster.injectErrors([.rebalanceInProgress], into: .heartbeat)
        try await eventually("the member to rejoin", timeout: .seconds(30), pollEvery: .milliseconds(50)) {
            consumer.assignmentCount.load(ordering: .relaxed) >= 2
        }
        let ids = try await receiveAcknowledging(news.count, from: subscription)
        #expect(ids == news.map(\.id), "every record published after subscribe returned, once, and nothing before it")
        try await bus.close()
    }

    @Test("records published while a broadcast subscriber rejoins, before it had anything to commit, all reach it")
    func recordsPublishedDuringTheRejoinArrive() async throws {
        let (bus, cluster, topic, subscription, consumer) = try await Self.broadcastAfterHistory(
            "rejoin-gap", options: SubscriptionOptions())

        // The coordinator makes the member rejoin and keeps the join waiting a while; records published after the
        // revoke and before the new assignment must not be skipped (nothing was committed to resume from).
        try cluster.injectErrors(Array(repeating: .coordinatorLoadInProgress, count: 4), into: .joinGroup)
        try cluster.injectErrors([.rebalanceInProgress], into: .heartbeat)
        try await eventually("the revoke", timeout: .seconds(30), pollEvery: .milliseconds(10)) {
            consumer.revocationCount.load(ordering: .relaxed) >= 1
        }
        let news = (0..<10).map { Message(text: "news-\($0)", key: "k", id: "news-\($0)") }
        try await bus.publish(contentsOf: news, to: topic)
        #expect(consumer.assignmentCount.load(ordering: .relaxed) == 1, "the rejoin ended before the records were published")
        try await eventually("the member to rejoin", timeout: .seconds(30), pollEvery: .milliseconds(50)) {
            consumer.assignmentCount.load(ordering: .relaxed) >= 2
        }
        let ids = try await receiveAcknowledging(news.count, from: subscription)
        #expect(ids == news.map(\.id), "every record published after subscribe returned, once, and nothing before it")
        try await bus.close()
    }

    /// A mock-cluster bus, a one-partition topic holding one record ("before"), and a broadcast subscription to it
    /// with its consumer (for the rebalance counts).
    private static func broadcastAfterHistory(
        _ name: String, options: SubscriptionOptions
    ) async throws -> (any MessageBus, KafkaMockCluster, String, Subscription, RDKafkaConsumer) {
        let bus = try await KafkaBusFactory.mockBus(name)
        let kafka = try #require(bus as? KafkaMessageBus)
        let cluster = try #require(kafka.mockCluster)
        let topic = KafkaTestEnvironment.uniqueName(name)
        try await cluster.createTopic(topic, partitions: 1)
        try await bus.publish(Message(text: "before", key: "k", id: "before"), to: topic)
        let subscription = try await bus.subscribe(to: topic, group: nil, options: options)
        let consumer = try #require(kafka.liveSubscriptions.first?.consumer)
        return (bus, cluster, topic, subscription, consumer)
    }
}
