import Logging
import Synchronization
import MessageBus
import MessageBusIntegrationSupport
import ServiceLifecycle
import ServiceLifecycleTestKit
import Testing
import struct Foundation.UUID

/// What the in-memory backend offers beyond the conformance suite: URLs, fault injection, the service.
@Suite("In-memory bus")
struct InMemoryMessageBusTests {
    let logger = Logger(label: "test.memory")

    private func uniqueBroker() -> String { "test-\(UUID().uuidString.prefix(8))" }

    @Test func connectorPicksTheBackendByScheme() async throws {
        let bus = try await MessageBusConnector.connect(to: "memory://\(uniqueBroker())", logger: logger)
        #expect(bus.backend == "memory")
        try await bus.close()
    }

    @Test("effectively-once: a copy still held when its subscription is cancelled does not keep the subscription alive")
    func heldCopyDoesNotOutliveItsSubscription() async throws {
        let bus = try InMemoryMessageBus(
            brokerName: uniqueBroker(), configuration: MessageBusConfiguration(guarantee: .effectivelyOnce()),
            logger: logger)
        weak var context: SubscriptionContext?
        do {
            let subscription = try await bus.subscribe(to: "copies", group: "g", options: SubscriptionOptions())
            context = subscription.context
            try await bus.publish(contentsOf: [Message(text: "1", id: "twice"), Message(text: "2", id: "twice")], to: "copies")
            let first = try await subscription.receive(max: 10, timeout: .seconds(5))
            #expect(first.count == 1)
            #expect(try await subscription.receive(max: 10, timeout: .milliseconds(200)).isEmpty, "the second is held")
            await subscription.cancel()
        }
        #expect(context == nil, "the held copy keeps the subscription's context alive")
        try await bus.close()
    }

    @Test("without a prefetch in its options, a subscription gets at most the in-memory default prefetch unsettled")
    func defaultPrefetch() async throws {
        let bus = try InMemoryMessageBus(brokerName: uniqueBroker(), configuration: MessageBusConfiguration(), logger: logger)
        let subscription = try await bus.subscribe(to: "many", group: "g", options: SubscriptionOptions())
        try await bus.publish(
            contentsOf: (0..<(InMemoryMessageBus.defaultPrefetch + 50)).map { Message(text: "m\($0)") }, to: "many")
        var unsettled: [Delivery] = []
        while true {
            let batch = try await subscription.receive(max: 1000, timeout: .milliseconds(200))
            if batch.isEmpty { break }
            unsettled += batch
        }
        #expect(unsettled.count == InMemoryMessageBus.defaultPrefetch)
        try await unsettled.ackAll()
        #expect(try await subscription.receive(max: 1000, timeout: .seconds(5)).count == 50)
        try await bus.close()
    }

    @Test func connectorNamesTheMissingBackend() async {
        await #expect {
            _ = try await MessageBusConnector.connect(to: "kafka://localhost:9092", logger: logger)
        } throws: { error in
            guard let error = error as? MessageBusError else { return false }
            return error.code == .invalidURL && error.message.contains("no backend serves 'kafka://'")
                && error.message.contains("memory://")
        }
    }

    @Test func unknownOptionAndBadValueAreNamed() async {
        await #expect {
            _ = try await MessageBusConnector.connect(to: "memory://x?retension=5", logger: logger)
        } throws: { error in
            (error as? MessageBusError)?.message.contains("'retension'") ?? false
        }
        await #expect {
            _ = try await MessageBusConnector.connect(to: "memory://x?retention=lots", logger: logger)
        } throws: { error in
            (error as? MessageBusError)?.message.contains("'lots' for 'retention'") ?? false
        }
    }

    @Test func busesWithTheSameNameShareABroker() async throws {
        let name = uniqueBroker()
        let publisher = try await MessageBusConnector.connect(to: "memory://\(name)", logger: logger)
        let consumer = try await MessageBusConnector.connect(to: "memory://\(name)", logger: logger)
        let other = try await MessageBusConnector.connect(to: "memory://\(name)-other", logger: logger)
        let shared = try await consumer.subscribe(to: "events", group: "g")
        let separate = try await other.subscribe(to: "events", group: "g")
        try await publisher.publish(Message(text: "hello"), to: "events")
        #expect(try await shared.receive(max: 1, timeout: .seconds(5)).first?.message.text == "hello")
        #expect(try await separate.receive(max: 1, timeout: .milliseconds(100)).isEmpty)
    }

    @Test func lostConnectionRedeliversAndRefusesStaleAcks() async throws {
        let bus = try InMemoryMessageBus(brokerName: uniqueBroker(), logger: logger)
        let subscription = try await bus.subscribe(to: "jobs", group: "workers")
        try await bus.publish(Message(text: "job", id: "job-1"), to: "jobs")
        let before = try await subscription.receive(max: 1, timeout: .seconds(5))[0]
        try bus.simulateConnectionLoss()
        await #expect {
            try await before.ack()
        } throws: { error in
            (error as? MessageBusError)?.code == .alreadySettled
        }
        let after = try await subscription.receive(max: 1, timeout: .seconds(5))[0]
        #expect(after.message.id == "job-1")
        #expect(after.attempt == 2)
        try await after.ack()
    }

    @Test func injectedPublishFailuresAreTypedAndCounted() async throws {
        let bus = try InMemoryMessageBus(brokerName: uniqueBroker(), logger: logger)
        let subscription = try await bus.subscribe(to: "jobs", group: "workers")
        bus.failNextPublishes(2)
        for _ in 0..<2 {
            await #expect {
                try await bus.publish(Message(text: "x"), to: "jobs")
            } throws: { error in
                (error as? MessageBusError)?.code == .connectionFailed
            }
        }
        try await bus.publish(Message(text: "third", id: "third"), to: "jobs")
        let received = try await subscription.receive(max: 10, timeout: .seconds(5))
        #expect(received.map(\.message.id) == ["third"])
    }

    @Test func receiveTimesOutWithNothingAndCancellationEndsIteration() async throws {
        let bus = try InMemoryMessageBus(brokerName: uniqueBroker(), logger: logger)
        let subscription = try await bus.subscribe(to: "quiet", group: "g")
        let start = ContinuousClock.now
        #expect(try await subscription.receive(max: 1, timeout: .milliseconds(100)).isEmpty)
        #expect(ContinuousClock.now - start >= .milliseconds(100))
        let iterating = Task {
            var count = 0
            for try await _ in subscription { count += 1 }
            return count
        }
        try await Task.sleep(for: .milliseconds(50))
        iterating.cancel()
        #expect(try await iterating.value == 0)
    }

    /// A subscription cancelled while its iterator is about to wait: the iteration ends, whichever comes first.
    @Test func cancellingASubscriptionEndsAWaitingIteration() async throws {
        let bus = try InMemoryMessageBus(brokerName: uniqueBroker(), logger: logger)
        for round in 0..<2_000 {
            let subscription = try await bus.subscribe(to: "quiet", group: "g")
            let ended = Atomic(false)
            let iterating = Task {
                var count = 0
                for try await _ in subscription { count += 1 }
                ended.store(true, ordering: .releasing)
                return count
            }
            if Bool.random() { await Task.yield() }
            await subscription.cancel()
            try await eventually("the iteration of round \(round) ended", timeout: .seconds(10), pollEvery: .milliseconds(1)) {
                ended.load(ordering: .acquiring)
            }
            #expect(try await iterating.value == 0)
        }
        try await bus.close()
    }

    @Test func transactionsNeedTheExactlyOnceGuarantee() async throws {
        let bus = try InMemoryMessageBus(brokerName: uniqueBroker(), logger: logger)
        await #expect {
            try await bus.withTransaction { _ in }
        } throws: { error in
            (error as? MessageBusError)?.code == .unsupported
        }
    }

    @Test("transactions do not nest: the inner one is refused at once, the outer one commits, later ones run")
    func nestedTransactionIsRefused() async throws {
        let bus = try InMemoryMessageBus(
            brokerName: uniqueBroker(), configuration: MessageBusConfiguration(guarantee: .exactlyOnce), logger: logger)
        let outerEnded = AsyncOneShot<Void>()
        let startedInside = try await bus.withTransaction { transaction in
            await #expect {
                try await bus.withTransaction { _ in }
            } throws: { error in
                (error as? MessageBusError)?.code == .unsupported
            }
            try await transaction.publish(Message(text: "outer"), to: "nested")
            // A task started from the body inherits its task-locals; once the outer transaction ended, its own
            // transaction is not nested any more.
            return Task {
                try await outerEnded.value
                return try await bus.withTransaction { transaction in
                    try await transaction.publish(Message(text: "later"), to: "nested")
                }
            }
        }
        outerEnded.fulfill(Result<Void, any Error>.success(()))
        try await startedInside.value
        let other = try InMemoryMessageBus(
            brokerName: uniqueBroker(), configuration: MessageBusConfiguration(guarantee: .exactlyOnce), logger: logger)
        try await bus.withTransaction { _ in
            try await other.withTransaction { _ in }
        }
        let subscription = try await bus.subscribe(
            to: "nested", group: "readers", options: SubscriptionOptions(startPosition: .earliest))
        let texts = try await subscription.receive(max: 10, timeout: .seconds(5)).compactMap(\.message.text)
        #expect(texts == ["outer", "later"])
    }

    @Test func serviceClosesTheBusOnGracefulShutdown() async throws {
        let bus = try InMemoryMessageBus(brokerName: uniqueBroker(), logger: logger)
        try await testGracefulShutdown { trigger in
            let service = MessageBusService(bus)
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { try await service.run() }
                try await bus.checkReadiness()
                trigger.triggerGracefulShutdown()
                try await group.waitForAll()
            }
        }
        await #expect {
            try await bus.checkReadiness()
        } throws: { error in
            (error as? MessageBusError)?.code == .closed
        }
    }
}
