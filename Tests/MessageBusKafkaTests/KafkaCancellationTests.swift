import Foundation
import MessageBus
import MessageBusIntegrationSupport
@testable import MessageBusKafka
import Testing

/// Every public async call of a Kafka bus honours task cancellation: it ends within a second (returning, or
/// throwing `CancellationError`) and leaves no waiter, consumer or transaction behind. The calls are made to wait
/// on librdkafka's mock cluster with its only broker stalled (every answer delayed by ``stall``), so a call that
/// ignored its cancellation would succeed after the stall instead of throwing. Stalled rather than down: setting a
/// mock broker down re-binds its listener port, and librdkafka aborts the whole process when that fails (seen in
/// CI, `rd_kafka_mock_broker_cmd: Failed to-create mock broker listener`).
@Suite("Kafka cancellation", .timeLimit(.minutes(3)))
struct KafkaCancellationTests {
    /// How long the stalled broker takes to answer: far beyond the half second after which the calls are cancelled.
    static let stall = Duration.seconds(8)

    /// A bus on a one-broker mock cluster with a publish timeout far beyond the test, and a topic on it.
    private func openBus(
        _ configuration: MessageBusConfiguration = MessageBusConfiguration(publishTimeout: .seconds(120))
    ) async throws -> (bus: KafkaMessageBus, cluster: KafkaMockCluster, topic: String) {
        let cluster = try KafkaMockCluster(brokers: 1, logger: KafkaBusFactory.logger("mock"))
        let topic = KafkaTestEnvironment.uniqueName("cancel")
        try await cluster.createTopic(topic, partitions: 1, replicationFactor: 1)
        var kafka = KafkaConfiguration(
            bootstrapServers: cluster.bootstrapServers.split(separator: ",").map(String.init))
        kafka.additionalProperties = ["log_level": "0"]
        kafka.groupJoinTimeout = .seconds(120)
        // The mock cluster does not isolate transactions; these tests check cancellation, not isolation.
        kafka.requiresVerifiedTransactionIsolation = false
        let bus = try await KafkaMessageBus(
            kafka: kafka, configuration: configuration, logger: KafkaBusFactory.logger("mock"), mockCluster: cluster)
        return (bus, cluster, topic)
    }

    /// ``openBus(_:)``, with the topic known to the producer (one record delivered) and then the broker stalled.
    private func openStalledBus() async throws -> (bus: KafkaMessageBus, cluster: KafkaMockCluster, topic: String) {
        let (bus, cluster, topic) = try await self.openBus()
        try await bus.publish(Message(text: "warm-up"), to: topic)
        try await cluster.setRoundTripTime(of: 1, to: Self.stall)
        return (bus, cluster, topic)
    }

    @Test("a cancelled publish to a stalled broker throws CancellationError at once; the bus goes on")
    func publish() async throws {
        let (bus, cluster, topic) = try await self.openStalledBus()
        let outcome = await CancellationProbe.cancel(after: .milliseconds(500)) {
            try await bus.publish(contentsOf: (0..<5).map { Message(text: "m\($0)") }, to: topic)
        }
        #expect(outcome.threwCancellationPromptly, "\(outcome)")
        try await cluster.setRoundTripTime(of: 1, to: .zero)
        try await bus.publish(Message(text: "after"), to: topic)
        try await bus.close(deadline: .seconds(10))
    }

    @Test("a cancelled flush throws CancellationError at once; the next flush reports the sent records")
    func flush() async throws {
        let (bus, cluster, topic) = try await self.openStalledBus()
        try await bus.send(contentsOf: (0..<5).map { Message(text: "s\($0)") }, to: topic)
        let outcome = await CancellationProbe.cancel(after: .milliseconds(500)) { try await bus.flush() }
        #expect(outcome.threwCancellationPromptly, "\(outcome)")
        try await cluster.setRoundTripTime(of: 1, to: .zero)
        try await bus.flush()
        try await bus.close(deadline: .seconds(10))
    }

    /// Cancels a subscribe while its topic lookup waits (`groupKnown` false) or, once a first member made the topic
    /// and the group's retry topic known, while it waits for the group to assign partitions (`groupKnown` true).
    @Test(
        "a cancelled subscribe throws CancellationError at once and leaves no consumer behind",
        arguments: [false, true])
    func subscribe(groupKnown: Bool) async throws {
        let (bus, cluster, topic) = try await self.openBus()
        if groupKnown {
            let first = try await bus.subscribe(to: topic, group: "joiners")
            await first.cancel()
        } else {
            try await bus.publish(Message(text: "warm-up"), to: topic)
        }
        try await cluster.setRoundTripTime(of: 1, to: Self.stall)
        let outcome = await CancellationProbe.cancel(after: .milliseconds(500)) {
            try await bus.subscribe(to: topic, group: "joiners")
        }
        #expect(outcome.threwCancellationPromptly, "\(outcome)")
        #expect(bus.liveSubscriptions.isEmpty)
        try await cluster.setRoundTripTime(of: 1, to: .zero)
        try await bus.close(deadline: .seconds(10))
    }

    @Test("a cancelled open against a cluster whose broker is stalled throws CancellationError at once")
    func open() async throws {
        let cluster = try KafkaMockCluster(brokers: 1, logger: KafkaBusFactory.logger("mock"))
        try await cluster.setRoundTripTime(of: 1, to: Self.stall)
        var kafka = KafkaConfiguration(
            bootstrapServers: cluster.bootstrapServers.split(separator: ",").map(String.init))
        kafka.additionalProperties = ["log_level": "0"]
        kafka.connectTimeout = .seconds(60)
        let outcome = await CancellationProbe.cancel(after: .milliseconds(500)) { [kafka] in
            try await KafkaMessageBus(kafka: kafka, logger: KafkaBusFactory.logger("mock"), mockCluster: cluster)
        }
        #expect(outcome.threwCancellationPromptly, "\(outcome)")
        await cluster.shutdown()
    }

    @Test("a cancelled receive returns nothing at once, and the next record still arrives")
    func receive() async throws {
        let (bus, _, topic) = try await self.openBus()
        let subscription = try await bus.subscribe(
            to: topic, group: "readers", options: SubscriptionOptions(startPosition: .earliest))
        let check = try await CancellationProbe.cancelReceive(on: bus, subscription: subscription, destination: topic)
        #expect(check.outcome.endedPromptly, "\(check.outcome)")
        #expect(try check.outcome.result.get().isEmpty)
        #expect(check.receivedAfter == ["after"])
        try await bus.close(deadline: .seconds(10))
    }

    @Test("a transaction waiting for another one to finish is cancelled at once; the other commits")
    func transactionWaitingForItsTurn() async throws {
        let (bus, _, topic) = try await self.openBus(
            MessageBusConfiguration(guarantee: .exactlyOnce, publishTimeout: .seconds(30)))
        let (entered, enteredSignal) = AsyncStream.makeStream(of: Void.self)
        let (release, releaseSignal) = AsyncStream.makeStream(of: Void.self)
        let first = Task {
            try await bus.withTransaction { transaction in
                try await transaction.publish(Message(text: "first"), to: topic)
                enteredSignal.yield()
                for await _ in release { break }
            }
        }
        for await _ in entered { break }
        let outcome = await CancellationProbe.cancel(after: .milliseconds(300)) {
            try await bus.withTransaction { transaction in
                try await transaction.publish(Message(text: "second"), to: topic)
            }
        }
        #expect(outcome.threwCancellationPromptly, "\(outcome)")
        releaseSignal.yield()
        try await first.value
        // The exclusion holds no stale waiter: the next transaction gets its turn.
        try await bus.withTransaction { transaction in
            try await transaction.publish(Message(text: "third"), to: topic)
        }
        try await bus.close(deadline: .seconds(10))
    }

    @Test("a transaction whose task is cancelled inside is aborted and throws CancellationError at once")
    func transactionCancelledInside() async throws {
        let (bus, _, topic) = try await self.openBus(
            MessageBusConfiguration(guarantee: .exactlyOnce, publishTimeout: .seconds(30)))
        let outcome = await CancellationProbe.cancel(after: .milliseconds(500)) {
            try await bus.withTransaction { transaction in
                try await transaction.publish(Message(text: "inside"), to: topic)
                try await Task.sleep(for: .seconds(60))
            }
        }
        #expect(outcome.threwCancellationPromptly, "\(outcome)")
        try await bus.withTransaction { transaction in
            try await transaction.publish(Message(text: "next"), to: topic)
        }
        try await bus.close(deadline: .seconds(10))
    }

    @Test("a cancelled close of a bus whose records wait on a stalled broker ends at once and still closes")
    func close() async throws {
        let (bus, cluster, topic) = try await self.openBus()
        let subscription = try await bus.subscribe(
            to: topic, group: "readers", options: SubscriptionOptions(startPosition: .earliest))
        try await cluster.setRoundTripTime(of: 1, to: Self.stall)
        try await bus.send(contentsOf: (0..<5).map { Message(text: "s\($0)") }, to: topic)
        let outcome = await CancellationProbe.cancel(after: .milliseconds(500)) {
            try await bus.close(deadline: .seconds(60))
        }
        #expect(outcome.threwCancellationPromptly, "\(outcome)")
        await #expect(throws: MessageBusError.self) { try await bus.publish(Message(text: "x"), to: topic) }
        await #expect(throws: MessageBusError.self) { _ = try await subscription.receive(max: 1, timeout: .seconds(5)) }
        #expect(bus.liveSubscriptions.isEmpty)
    }
}
