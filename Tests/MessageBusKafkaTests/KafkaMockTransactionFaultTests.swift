import Foundation
import MessageBus
import MessageBusKafka
import Synchronization
import Testing

/// Transactional errors injected into the mock cluster's answers (librdkafka's `rd_kafka_mock_push_request_errors`),
/// one consume-transform-produce step per transaction: each must end in the recovery librdkafka prescribes for its
/// class of error: fenced (fatal), abortable, retriable.
@Suite("Kafka transaction faults on the mock cluster", .timeLimit(.minutes(3)))
struct KafkaMockTransactionFaultTests {
    /// A bus on a fresh one-broker mock cluster, one request record on the input topic, and a group member
    /// holding it.
    private struct Fixture {
        let cluster: KafkaMockCluster
        let bus: KafkaMessageBus
        let input: String
        let output = KafkaTestEnvironment.uniqueName("txn-fault-out")
        let requests: Subscription

        static func make(publishTimeout: Duration = .seconds(30)) async throws -> Fixture {
            let cluster = try KafkaMockCluster(brokers: 1, logger: KafkaBusFactory.logger("mock"))
            var kafka = KafkaConfiguration(bootstrapServers: cluster.bootstrapServers.split(separator: ",").map(String.init))
            kafka.requiresVerifiedTransactionIsolation = false
            kafka.additionalProperties = ["log_level": "0"]
            let bus = try await KafkaMessageBus(
                kafka: kafka, configuration: MessageBusConfiguration(guarantee: .exactlyOnce, publishTimeout: publishTimeout),
                logger: KafkaBusFactory.logger("mock-txn-faults"), mockCluster: cluster)
            let input = KafkaTestEnvironment.uniqueName("txn-fault-in")
            try await bus.publish(Message(text: "request", key: "k", id: "request"), to: input)
            let requests = try await bus.subscribe(
                to: input, group: "workers", options: SubscriptionOptions(startPosition: .earliest))
            return Fixture(cluster: cluster, bus: bus, input: input, requests: requests)
        }

        private init(cluster: KafkaMockCluster, bus: KafkaMessageBus, input: String, requests: Subscription) {
            self.cluster = cluster
            self.bus = bus
            self.input = input
            self.requests = requests
        }

        /// The next delivery of the request record.
        func nextRequest() async throws -> Delivery {
            let batch = try await self.requests.receive(max: 1, timeout: .seconds(20))
            let delivery = try #require(batch.first, "the request record did not come (back) to the group")
            #expect(delivery.message.id == "request")
            return delivery
        }

        /// One consume-transform-produce step: the request's offset and the reply in one transaction. The request
        /// is acknowledged first, so that a failing publish aborts a transaction that holds it (and gives it back).
        func process(_ delivery: Delivery, runs: BodyRuns? = nil) async throws {
            try await self.bus.withTransaction { transaction in
                runs?.count.add(1, ordering: .relaxed)
                try await transaction.acknowledge(delivery)
                try await transaction.publish(Message(text: "reply", key: "k"), to: self.output)
            }
        }

        /// Expects the group to have nothing left to read: the request's offset was committed with a transaction.
        func expectRequestCommitted() async throws {
            await self.requests.cancel()
            let again = try await self.bus.subscribe(
                to: self.input, group: "workers", options: SubscriptionOptions(startPosition: .earliest))
            let leftovers = try await again.receive(max: 10, timeout: .seconds(3))
            #expect(leftovers.isEmpty, "offsets sent with the committed transaction: \(leftovers.map(\.message.id))")
        }
    }

    /// Counts how many times a transaction body ran.
    final class BodyRuns: Sendable {
        let count = Atomic(0)
    }

    /// Where a fault is injected and which errors the broker answers with, in order.
    struct Injection: Sendable, CustomTestStringConvertible {
        let api: KafkaAPIKey
        let errors: [KafkaProtocolError]
        var testDescription: String { "\(self.errors.map(\.rawValue)) on API \(self.api.rawValue)" }
    }

    @Test(
        "a fenced producer fails the transaction with a typed error, and every later one fails fast with it",
        arguments: [
            Injection(api: .endTransaction, errors: [.producerFenced]),
            Injection(api: .endTransaction, errors: [.invalidProducerEpoch]),
            Injection(api: .addPartitionsToTransaction, errors: [.producerFenced]),
            Injection(api: .addOffsetsToTransaction, errors: [.invalidProducerEpoch]),
            Injection(api: .transactionOffsetCommit, errors: [.invalidProducerEpoch]),
        ])
    func fenced(_ injection: Injection) async throws {
        let fixture = try await Fixture.make()
        let request = try await fixture.nextRequest()
        try fixture.cluster.injectErrors(injection.errors, into: injection.api)
        let fenced = try await #require(throws: MessageBusError.self) { try await fixture.process(request) }
        #expect(fenced.code == .closed)
        #expect(fenced.message.contains("was fenced"), "\(fenced.message)")
        #expect(fenced.message.contains("open a new one"), "\(fenced.message)")
        #expect(!fenced.isRetriable)
        // The fenced transaction gave its acknowledged request back to the group.
        let again = try await fixture.nextRequest()
        let runs = BodyRuns()
        let later = try await #require(throws: MessageBusError.self) { try await fixture.process(again, runs: runs) }
        #expect(later.code == .closed)
        #expect(later.message == fenced.message)
        #expect(runs.count.load(ordering: .relaxed) == 0, "a transaction on a fenced producer must fail before its body runs")
        try fixture.cluster.clearInjectedErrors(for: injection.api)
        try await fixture.bus.close()
    }

    @Test(
        "an abortable error aborts the transaction, gives its input back, and the retried transaction commits",
        arguments: [
            Injection(api: .endTransaction, errors: [.unknownProducerID]),
            Injection(api: .endTransaction, errors: [.groupAuthorizationFailed]),
            Injection(api: .addPartitionsToTransaction, errors: [.topicAuthorizationFailed]),
            Injection(api: .addOffsetsToTransaction, errors: [.groupAuthorizationFailed]),
            Injection(api: .transactionOffsetCommit, errors: [.groupAuthorizationFailed]),
        ])
    func abortable(_ injection: Injection) async throws {
        let fixture = try await Fixture.make()
        let request = try await fixture.nextRequest()
        try fixture.cluster.injectErrors(injection.errors, into: injection.api)
        let aborted = try await #require(throws: MessageBusError.self) { try await fixture.process(request) }
        #expect(aborted.code == .transactionAborted, "\(aborted)")
        #expect(aborted.isRetriable)
        let again = try await fixture.nextRequest()
        #expect(again.attempt == 2)
        try await fixture.process(again)
        try await fixture.expectRequestCommitted()
        try await fixture.bus.close()
    }

    @Test(
        "retriable errors are retried inside the transaction, which commits",
        arguments: [
            Injection(api: .endTransaction, errors: [.concurrentTransactions, .coordinatorNotAvailable, .notCoordinator]),
            Injection(api: .addPartitionsToTransaction, errors: [.concurrentTransactions, .notCoordinator]),
            Injection(api: .addOffsetsToTransaction, errors: [.concurrentTransactions, .coordinatorLoadInProgress]),
            Injection(api: .transactionOffsetCommit, errors: [.coordinatorLoadInProgress, .notCoordinator]),
        ])
    func retriable(_ injection: Injection) async throws {
        let fixture = try await Fixture.make()
        let request = try await fixture.nextRequest()
        try fixture.cluster.injectErrors(injection.errors, into: injection.api)
        try await fixture.process(request)
        try await fixture.expectRequestCommitted()
        try await fixture.bus.close()
    }

    @Test("a commit whose own timeout passes while the coordinator still answers is resumed, not aborted")
    func commitTimeoutResumed() async throws {
        // Each transactional call waits at most the publish timeout; the coordinator answers EndTxn later than
        // that, so librdkafka's first commit call returns a retriable timeout and the next call resumes it. (The
        // transaction only publishes: sending offsets has its own deadline, which a resumed call does not extend.)
        let fixture = try await Fixture.make(publishTimeout: .seconds(3))
        try await fixture.bus.withTransaction { transaction in
            try await transaction.publish(Message(text: "reply", key: "k"), to: fixture.output)
            try await fixture.cluster.setRoundTripTime(of: 1, to: .milliseconds(4_500))
        }
        try await fixture.cluster.setRoundTripTime(of: 1, to: .zero)
        let request = try await fixture.nextRequest()
        try await fixture.process(request)
        try await fixture.expectRequestCommitted()
        try await fixture.bus.close()
    }
}
