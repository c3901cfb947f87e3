import MessageBusIntegrationSupport
import Foundation
import MessageBus
import MessageBusKafka
import Testing

/// Topic administration and group lag on the mock cluster.
@Suite("Kafka admin (mock cluster)", .timeLimit(.minutes(2)))
struct KafkaAdminTests {
    @Test("create and count partitions")
    func create() async throws {
        let bus = try #require(try await KafkaBusFactory.mockBus("admin") as? KafkaMessageBus)
        let topic = KafkaTestEnvironment.uniqueName("admin")
        try await bus.createTopic(topic, partitions: 6, replicationFactor: 1)
        #expect(try await bus.partitionCount(of: topic) == 6)
        try await bus.close()
    }

    @Test("create with configs, list, count partitions and delete on the real broker",
        .enabled(if: IntegrationGate.isEnabled))
    func createListAndDeleteOnRealBroker() async throws {
        try await KafkaBusFactory.requireRealBroker()
        let bus = try #require(try await KafkaBusFactory.realBus() as? KafkaMessageBus)
        let topic = KafkaTestEnvironment.uniqueName("admin")
        try await bus.createTopic(topic, partitions: 3, configs: ["retention.ms": "3600000", "cleanup.policy": "delete"])
        #expect(try await bus.partitionCount(of: topic) == 3)
        #expect(try await bus.listTopics().contains(KafkaTopicSummary(name: topic, partitionCount: 3)))
        try await bus.deleteTopic(topic)
        #expect(try await bus.listTopics().contains { $0.name == topic } == false)
        try await bus.close()
    }

    @Test("list topics on the mock cluster, sorted, with their partitions")
    func listOnMock() async throws {
        let bus = try #require(try await KafkaBusFactory.mockBus("admin-list") as? KafkaMessageBus)
        let first = KafkaTestEnvironment.uniqueName("admin-list-a")
        let second = KafkaTestEnvironment.uniqueName("admin-list-b")
        try await bus.createTopic(second, partitions: 2, replicationFactor: 1)
        try await bus.createTopic(first, partitions: 5, replicationFactor: 1)
        let topics = try await bus.listTopics()
        #expect(topics.map(\.name) == topics.map(\.name).sorted())
        #expect(topics.contains(KafkaTopicSummary(name: first, partitionCount: 5)))
        #expect(topics.contains(KafkaTopicSummary(name: second, partitionCount: 2)))
        try await bus.close()
    }

    @Test("lag counts what the group has not acknowledged")
    func lag() async throws {
        let bus = try #require(try await KafkaBusFactory.mockBus("admin") as? KafkaMessageBus)
        let topic = KafkaTestEnvironment.uniqueName("admin-lag")
        try await bus.createTopic(topic, partitions: 1, replicationFactor: 1)
        try await bus.publish(contentsOf: (0..<10).map { Message(text: "m\($0)", key: "k") }, to: topic)
        let subscription = try await bus.subscribe(
            to: topic, group: "lagging", options: SubscriptionOptions(startPosition: .earliest))
        var received: [Delivery] = []
        while received.count < 10 { received += try await subscription.receive(max: 10, timeout: .seconds(20)) }
        try await received.prefix(4).ackAll()
        await subscription.cancel()
        let lag = try await bus.consumerLag(group: "lagging", destination: topic)
        #expect(lag == [KafkaPartitionLag(partition: 0, committedOffset: 4, highWatermark: 10)])
        #expect(lag.first?.lag == 6)
        try await bus.close()
    }
}

/// Publishing to an explicit partition.
@Suite("Kafka explicit partition (mock cluster)", .timeLimit(.minutes(1)))
struct KafkaExplicitPartitionTests {
    @Test("records land on the partition given, and a partition out of range is refused")
    func explicitPartition() async throws {
        let bus = try #require(try await KafkaBusFactory.mockBus("partition") as? KafkaMessageBus)
        let topic = KafkaTestEnvironment.uniqueName("partition")
        try await bus.createTopic(topic, partitions: 4, replicationFactor: 1)
        try await bus.publish(contentsOf: [Message(text: "a", key: "x"), Message(text: "b", key: "y")], to: topic, partition: 2)
        let subscription = try await bus.subscribe(
            to: topic, group: "readers", options: SubscriptionOptions(startPosition: .earliest))
        var deliveries: [Delivery] = []
        while deliveries.count < 2 { deliveries += try await subscription.receive(max: 2, timeout: .seconds(20)) }
        #expect(deliveries.map { $0.position?.partition } == [2, 2])
        try await deliveries.ackAll()
        let error = try await #require(throws: MessageBusError.self) {
            try await bus.publish(contentsOf: [Message(text: "c")], to: topic, partition: 9)
        }
        #expect(error.code == .invalidConfiguration)
        #expect(error.message.contains("9"))
        try await bus.close()
    }
}

/// Watermarks per partition, which `messagebus stats` reads.
@Suite("Kafka topic and group statistics", .timeLimit(.minutes(2)))
struct KafkaStatsTests {
    @Test("watermarks count what each partition holds, on the real broker", .enabled(if: IntegrationGate.isEnabled))
    func watermarksOnRealBroker() async throws {
        try await KafkaBusFactory.requireRealBroker()
        let bus = try #require(try await KafkaBusFactory.realBus() as? KafkaMessageBus)
        let topic = KafkaTestEnvironment.uniqueName("stats")
        try await bus.createTopic(topic, partitions: 2)
        // One record per publish: brokers that under-report the high watermark of a batch report it exactly here.
        for index in 0..<6 { try await bus.publish(Message(text: "m\(index)", key: "key-\(index)"), to: topic) }
        let offsets = try await bus.partitionOffsets(of: topic)
        #expect(offsets.map(\.partition) == [0, 1])
        #expect(offsets.map(\.recordCount).reduce(0, +) == 6, "\(offsets)")
        #expect(offsets.allSatisfy { $0.lowWatermark == 0 }, "\(offsets)")
        let missing = try await #require(throws: MessageBusError.self) {
            try await bus.partitionOffsets(of: KafkaTestEnvironment.uniqueName("stats-missing"))
        }
        #expect(missing.code == .unknownDestination)
        try await bus.deleteTopic(topic)
        try await bus.close()
    }
}
