import Foundation
import Logging
import MessageBus
import MessageBusIntegrationSupport
import Testing

/// Every public async call of a memory:// bus honours task cancellation: it ends within a second, and leaves no
/// waiter, delivery or transaction behind.
@Suite("memory:// cancellation", .timeLimit(.minutes(1)))
struct InMemoryCancellationTests {
    private func open(
        _ configuration: MessageBusConfiguration = MessageBusConfiguration()
    ) throws -> InMemoryMessageBus {
        try InMemoryMessageBus(
            brokerName: IntegrationEnvironment.uniqueName("cancel"), configuration: configuration,
            logger: Logger(label: "test.memory.cancel"))
    }

    @Test("a cancelled receive returns at once with nothing, and the next message still arrives")
    func receive() async throws {
        let bus = try self.open()
        let subscription = try await bus.subscribe(to: "orders", group: "billing")
        let check = try await CancellationProbe.cancelReceive(
            on: bus, subscription: subscription, destination: "orders")
        #expect(check.outcome.endedPromptly, "\(check.outcome)")
        #expect(try check.outcome.result.get().isEmpty)
        #expect(check.receivedAfter == ["after"])
        try await bus.close()
    }

    @Test("a cancelled iteration ends the loop at once")
    func iteration() async throws {
        let bus = try self.open()
        let subscription = try await bus.subscribe(to: "orders", group: "billing")
        let outcome = await CancellationProbe.cancel(after: .milliseconds(200)) { () -> Int in
            var count = 0
            for try await _ in subscription { count += 1 }
            return count
        }
        #expect(outcome.endedPromptly, "\(outcome)")
        #expect(try outcome.result.get() == 0)
        try await bus.close()
    }

    @Test("many receivers cancelled at once lose no message published meanwhile")
    func receiversRacingPublishes() async throws {
        let bus = try self.open()
        let subscription = try await bus.subscribe(
            to: "orders", group: "billing", options: SubscriptionOptions(prefetch: 1000))
        let total = 200
        var received: [String] = []
        for round in 0..<20 {
            let receivers = (0..<4).map { _ in Task { try await subscription.receive(max: 3) } }
            for index in 0..<10 { try await bus.publish(Message(text: "\(round * 10 + index)"), to: "orders") }
            for receiver in receivers { receiver.cancel() }
            for receiver in receivers {
                let batch = try await receiver.value
                received += batch.compactMap(\.message.text)
                try await batch.ackAll()
            }
        }
        while received.count < total {
            let batch = try await subscription.receive(max: 100, timeout: .seconds(2))
            if batch.isEmpty { break }
            received += batch.compactMap(\.message.text)
            try await batch.ackAll()
        }
        #expect(Set(received) == Set((0..<total).map(String.init)), "\(received.count) of \(total)")
        #expect(received.count == total)
        #expect(subscription.unsettledCount == 0)
        try await bus.close()
    }

    @Test("a transaction whose task is cancelled is aborted: nothing it published is visible")
    func transaction() async throws {
        let bus = try self.open(MessageBusConfiguration(guarantee: .exactlyOnce))
        let subscription = try await bus.subscribe(to: "orders", group: "billing")
        let inbox = try await bus.subscribe(to: "inbox", group: "worker")
        let outcome = await CancellationProbe.cancel(after: .milliseconds(200)) {
            try await bus.withTransaction { transaction in
                try await transaction.publish(Message(text: "inside"), to: "orders")
                // Waits for a delivery that never comes; cancellation ends the wait with nothing.
                _ = try await inbox.receive(max: 1)
            }
        }
        #expect(outcome.threwCancellationPromptly, "\(outcome)")
        #expect(try await subscription.receive(max: 10, timeout: .milliseconds(300)).isEmpty)
        // The bus still runs transactions.
        try await bus.withTransaction { transaction in
            try await transaction.publish(Message(text: "next"), to: "orders")
        }
        #expect(try await subscription.receive(max: 10, timeout: .seconds(5)).map(\.message.text) == ["next"])
        try await bus.close()
    }

    @Test("publish, flush, subscribe and close in a cancelled task finish at once and leave the bus consistent")
    func callsInCancelledTask() async throws {
        let bus = try self.open()
        let watcher = try await bus.subscribe(to: "orders", group: "watch")
        let started = ContinuousClock.now
        let results = await Task {
            withUnsafeCurrentTask { $0?.cancel() }
            let publish = await CancellationProbe.result {
                try await bus.publish(Message(text: "cancelled"), to: "orders")
            }
            let flush = await CancellationProbe.result { try await bus.flush() }
            let subscribe = await CancellationProbe.result { try await bus.subscribe(to: "orders", group: "late") }
            return (publish, flush, subscribe)
        }.value
        #expect(CancellationProbe.returnedOrCancelled(results.0), "\(results.0)")
        #expect(CancellationProbe.returnedOrCancelled(results.1), "\(results.1)")
        #expect(CancellationProbe.returnedOrCancelled(results.2), "\(results.2)")
        // Publishing in memory is immediate: a publish that returned is in the broker.
        if case .success = results.0 {
            let batch = try await watcher.receive(max: 10, timeout: .seconds(1))
            #expect(batch.map(\.message.text) == ["cancelled"])
        }
        let close = await Task {
            withUnsafeCurrentTask { $0?.cancel() }
            return await CancellationProbe.result { try await bus.close(deadline: .seconds(30)) }
        }.value
        #expect(CancellationProbe.returnedOrCancelled(close), "\(close)")
        #expect(ContinuousClock.now - started < CancellationProbe.promptly)
        // A cancelled close still closes.
        await #expect(throws: MessageBusError.self) { try await bus.publish(Message(text: "x"), to: "orders") }
    }
}
