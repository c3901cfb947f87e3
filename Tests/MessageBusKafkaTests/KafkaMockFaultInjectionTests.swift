import MessageBusIntegrationSupport
import Foundation
import MessageBus
import MessageBusKafka
import Testing

/// Fault injection on librdkafka's in-process mock cluster: no broker needed.
@Suite("Kafka mock cluster fault injection", .timeLimit(.minutes(3)))
struct KafkaMockFaultInjectionTests {
    @Test("a kafka-mock bus has the fault-injection capability and its cluster")
    func capability() async throws {
        let bus = try await KafkaBusFactory.mockBus("faults-capability")
        #expect(bus.capabilities.contains(.faultInjection))
        let kafka = try #require(bus as? KafkaMessageBus)
        #expect(kafka.mockCluster?.brokerCount == 3)
        try await bus.close()
    }

    @Test("connections cut, the leader stalled and moved during idempotent production: every message once, in order")
    func connectionsCutDuringProduction() async throws {
        let cluster = try KafkaMockCluster(brokers: 3, logger: KafkaBusFactory.logger("mock"))
        let topic = KafkaTestEnvironment.uniqueName("faults")
        try await cluster.createTopic(topic, partitions: 1, replicationFactor: 3)
        try await cluster.setLeader(of: topic, partition: 0, to: 1)
        var kafka = KafkaConfiguration(bootstrapServers: cluster.bootstrapServers.split(separator: ",").map(String.init))
        kafka.additionalProperties = ["log_level": "0"]
        let bus = try await KafkaMessageBus(
            kafka: kafka, configuration: MessageBusConfiguration(publishTimeout: .seconds(60)),
            logger: KafkaBusFactory.logger("mock"), mockCluster: cluster)
        let total = 300
        let producing = Task {
            for index in 0..<total {
                try await bus.send(Message(text: "\(index)", key: "k", id: "m\(index)"), to: topic)
                if index % 50 == 0 { try await Task.sleep(for: .milliseconds(20)) }
            }
            try await bus.flush()
        }
        // Not `setBrokerDown`: librdkafka aborts the process when the downed broker's port cannot be bound again.
        try await Task.sleep(for: .milliseconds(60))
        try cluster.injectErrors(Array(repeating: .connectionClosed, count: 3), into: .produce)
        try await cluster.setRoundTripTime(of: 1, to: .milliseconds(500))
        try await Task.sleep(for: .milliseconds(500))
        try await cluster.setLeader(of: topic, partition: 0, to: 2)
        try await cluster.setRoundTripTime(of: 1, to: .zero)
        try cluster.injectErrors(Array(repeating: .connectionClosed, count: 2), into: .produce)
        try await producing.value
        let subscription = try await bus.subscribe(
            to: topic, group: "check", options: SubscriptionOptions(startPosition: .earliest, prefetch: 500))
        var texts: [String] = []
        // Reads on until an empty batch after all of them, so that a duplicate arriving late would show.
        let awaited = "\(total) records and a quiet batch"
        try await eventually("\(awaited) (got \(texts.count))", timeout: .seconds(30), pollEvery: .zero) {
            let batch = try await subscription.receive(max: 500, timeout: .seconds(2))
            if batch.isEmpty, texts.count >= total { return true }
            texts += batch.compactMap(\.message.text)
            try await batch.ackAll()
            return false
        }
        #expect(texts == (0..<total).map(String.init), "lost, duplicated or reordered: \(texts.count) records")
        try await bus.close()
    }

    @Test("injected retriable produce errors are retried transparently")
    func injectedProduceErrorsRetried() async throws {
        let (bus, cluster, topic) = try await Self.openMockBus("faults-retry")
        try await bus.publish(Message(text: "warm-up", key: "k"), to: topic)
        try cluster.injectErrors([.notLeaderOrFollower, .requestTimedOut, .notEnoughReplicas], into: .produce)
        try await bus.publish(contentsOf: (0..<5).map { Message(text: "r\($0)", key: "k") }, to: topic)
        let subscription = try await bus.subscribe(
            to: topic, group: "check", options: SubscriptionOptions(startPosition: .earliest))
        var texts: [String] = []
        while texts.count < 6 {
            let batch = try await subscription.receive(max: 10, timeout: .seconds(20))
            try #require(!batch.isEmpty)
            texts += batch.compactMap(\.message.text)
            try await batch.ackAll()
        }
        #expect(texts == ["warm-up"] + (0..<5).map { "r\($0)" })
        try await bus.close()
    }

    @Test("a broadcast subscriber whose end-of-log lookups fail at first still starts where the log ended at subscribe")
    func latestStartSurvivesFailedLookups() async throws {
        let (bus, cluster, topic) = try await Self.openMockBus("faults-latest")
        try await cluster.createTopic(topic, partitions: 1)
        try await bus.publish(Message(text: "before", key: "k", id: "before"), to: topic)
        try cluster.injectErrors([.notLeaderOrFollower, .requestTimedOut, .notLeaderOrFollower], into: .listOffsets)
        let subscription = try await bus.subscribe(to: topic, group: nil)
        try cluster.clearInjectedErrors(for: .listOffsets)
        let news = (0..<10).map { Message(text: "news-\($0)", key: "k", id: "news-\($0)") }
        try await bus.publish(contentsOf: news, to: topic)
        let ids = try await receiveAcknowledging(news.count, from: subscription)
        #expect(ids == news.map(\.id), "every record published after subscribe returned, and nothing before it")
        try await bus.close()
    }

    @Test("the isolation probe reports that the mock cluster does not isolate transactions")
    func isolationProbe() async throws {
        let bus = try await KafkaBusFactory.mockBus("faults-isolation")
        let kafka = try #require(bus as? KafkaMessageBus)
        let isolation = try await kafka.checkTransactionIsolation()
        #expect(isolation == .notIsolated)
        do {
            _ = try await KafkaBusFactory.mockBus("faults-isolation", configuration: MessageBusConfiguration(guarantee: .exactlyOnce))
            Issue.record("opening exactly-once on a broker without isolation must fail")
        } catch let error as MessageBusError {
            #expect(error.code == .unsupported)
            #expect(error.message.contains("isolat"))
        }
        try await bus.close()
    }

    @Test("offset commits that meet a lost coordinator are retried: the group resumes right after what was acknowledged")
    func commitsSurviveCoordinatorLoss() async throws {
        let cluster = try KafkaMockCluster(brokers: 3, logger: KafkaBusFactory.logger("mock"))
        let topic = KafkaTestEnvironment.uniqueName("coordinator")
        try await cluster.createTopic(topic, partitions: 1, replicationFactor: 3)
        var kafka = KafkaConfiguration(bootstrapServers: cluster.bootstrapServers.split(separator: ",").map(String.init))
        kafka.additionalProperties = ["log_level": "0"]
        let bus = try await KafkaMessageBus(kafka: kafka, logger: KafkaBusFactory.logger("mock"), mockCluster: cluster)
        try await bus.publish(contentsOf: (0..<20).map { Message(text: "\($0)", key: "k", id: "m\($0)") }, to: topic)
        let options = SubscriptionOptions(startPosition: .earliest, prefetch: 10)
        let first = try await bus.subscribe(to: topic, group: "g", options: options)
        var received: [Delivery] = []
        while received.count < 10 { received += try await first.receive(max: 10 - received.count, timeout: .seconds(20)) }
        #expect(received.map(\.message.id) == (0..<10).map { "m\($0)" })
        try cluster.injectErrors([.notCoordinator, .coordinatorNotAvailable, .notCoordinator], into: .offsetCommit)
        try await cluster.setCoordinator(ofGroup: kafka.groupNaming.groupID(group: "g", destination: topic), to: 2)
        try await received.ackAll()
        await first.cancel()  // leaving the group commits what was acknowledged, through the failing coordinator
        try cluster.clearInjectedErrors(for: .offsetCommit)
        let second = try await bus.subscribe(to: topic, group: "g", options: options)
        var rest: [String] = []
        while rest.count < 10 {
            let batch = try await second.receive(max: 10, timeout: .seconds(20))
            try #require(!batch.isEmpty, "received \(rest) after the coordinator moved")
            rest += batch.map(\.message.id)
            try await batch.ackAll()
        }
        #expect(rest == (10..<20).map { "m\($0)" }, "nothing acknowledged comes again, nothing after it is skipped")
        try await bus.close()
    }

    /// A bus on the mock cluster `name`, the cluster (for fault injection) and a fresh topic name.
    private static func openMockBus(
        _ name: String
    ) async throws -> (bus: any MessageBus, cluster: KafkaMockCluster, topic: String) {
        let bus = try await KafkaBusFactory.mockBus(name)
        let cluster = try #require((bus as? KafkaMessageBus)?.mockCluster)
        return (bus, cluster, KafkaTestEnvironment.uniqueName(name))
    }
}
