import MessageBusIntegrationSupport
import Foundation
import MessageBus
import MessageBusKafka
import Testing

/// The transactional calls (init, begin, send offsets, commit, abort) on the mock cluster. The mock cluster does
/// not isolate aborted records, so these tests check the mechanics and the settling of consumed deliveries, not
/// isolation; the isolation check runs against whatever broker the environment points at (conformance).
@Suite("Kafka transactions on the mock cluster", .timeLimit(.minutes(3)))
struct KafkaMockTransactionTests {
    private func transactionalBus(_ cluster: KafkaMockCluster) async throws -> KafkaMessageBus {
        var kafka = KafkaConfiguration(bootstrapServers: cluster.bootstrapServers.split(separator: ",").map(String.init))
        kafka.requiresVerifiedTransactionIsolation = false
        kafka.additionalProperties = ["log_level": "0"]
        return try await KafkaMessageBus(
            kafka: kafka, configuration: MessageBusConfiguration(guarantee: .exactlyOnce),
            logger: KafkaBusFactory.logger("mock-txn"), mockCluster: cluster)
    }

    @Test("consume-transform-produce commits output and consumed offsets together; an abort gives the input back")
    func consumeTransformProduce() async throws {
        let cluster = try KafkaMockCluster(brokers: 1, logger: KafkaBusFactory.logger("mock"))
        let bus = try await transactionalBus(cluster)
        let input = KafkaTestEnvironment.uniqueName("txn-in")
        let output = KafkaTestEnvironment.uniqueName("txn-out")
        try await bus.publish(contentsOf: (0..<3).map { Message(text: "in-\($0)", key: "k", id: "in-\($0)") }, to: input)
        let requests = try await bus.subscribe(
            to: input, group: "transformers", options: SubscriptionOptions(startPosition: .earliest))
        let first = try await requests.receive(max: 1, timeout: .seconds(20))
        let aborted = try #require(first.first)
        struct InjectedAbort: Error {}
        await #expect(throws: InjectedAbort.self) {
            try await bus.withTransaction { transaction in
                try await transaction.publish(Message(text: "out-aborted", key: "k"), to: output)
                try await transaction.acknowledge(aborted)
                throw InjectedAbort()
            }
        }
        var processed: [String] = []
        try await eventually("3 processed inputs (got \(processed))", timeout: .seconds(30), pollEvery: .zero) {
            for delivery in try await requests.receive(max: 1, timeout: .seconds(2)) {
                try await bus.withTransaction { transaction in
                    try await transaction.publish(
                        Message(text: "out-\(delivery.message.id)", key: "k"), to: output)
                    try await transaction.acknowledge(delivery)
                }
                processed.append(delivery.message.id)
            }
            return processed.count >= 3
        }
        #expect(Set(processed) == ["in-0", "in-1", "in-2"], "the aborted input must come back: \(processed)")
        let redelivered = processed.first { $0 == aborted.message.id }
        #expect(redelivered != nil)
        await requests.cancel()
        let again = try await bus.subscribe(
            to: input, group: "transformers", options: SubscriptionOptions(startPosition: .earliest))
        let leftovers = try await again.receive(max: 10, timeout: .seconds(3))
        #expect(leftovers.isEmpty, "offsets sent with the committed transactions: \(leftovers.map(\.message.id))")
        try await bus.close()
    }

    @Test("a transaction inside another's body is refused at once (it would wait for the outer one forever)")
    func nestedTransactionRefused() async throws {
        let cluster = try KafkaMockCluster(brokers: 1, logger: KafkaBusFactory.logger("mock"))
        let bus = try await transactionalBus(cluster)
        let output = KafkaTestEnvironment.uniqueName("txn-nested")
        try await bus.withTransaction { transaction in
            let error = try await #require(throws: MessageBusError.self) {
                try await bus.withTransaction { _ in }
            }
            #expect(error.code == .unsupported, "\(error)")
            try await transaction.publish(Message(text: "outer", key: "k"), to: output)
        }
        try await bus.withTransaction { transaction in
            try await transaction.publish(Message(text: "after", key: "k"), to: output)
        }
        let results = try await bus.subscribe(
            to: output, group: "auditors", options: SubscriptionOptions(startPosition: .earliest))
        var texts: [String] = []
        try await eventually("both committed outputs (got \(texts))", timeout: .seconds(30), pollEvery: .zero) {
            texts += try await results.receive(max: 10, timeout: .seconds(2)).compactMap(\.message.text)
            return texts.count >= 2
        }
        #expect(texts == ["outer", "after"])
        try await bus.close()
    }

    @Test("withTransaction is refused without the exactly-once guarantee")
    func refusedWithoutExactlyOnce() async throws {
        let bus = try await KafkaBusFactory.mockBus("txn-refused")
        let error = try await #require(throws: MessageBusError.self) {
            try await bus.withTransaction { _ in }
        }
        #expect(error.code == .unsupported)
        try await bus.close()
    }
}
