import Foundation
import Logging
import MessageBus
import MessageBusIntegrationSupport
@testable import MessageBusRabbitMQ
import Testing

/// Every public async call of a RabbitMQ bus honours task cancellation: it ends within a second (returning, or
/// throwing `CancellationError`) and leaves no waiter, queue entry or consumer behind. The calls are made to wait
/// on the real broker behind a ``TCPProxy`` that stalls the connection, so nothing can complete on its own.
@Suite(
    "RabbitMQ cancellation", .enabled(if: IntegrationGate.isEnabled, IntegrationGate.skipComment),
    .timeLimit(.minutes(3)))
struct RabbitMQCancellationTests {
    /// Settings for the test broker through a fresh proxy, with timeouts far beyond the test.
    private func proxiedConfiguration() async throws -> (rabbitMQ: RabbitMQConfiguration, proxy: TCPProxy) {
        var (rabbitMQ, proxy) = try await RabbitMQTestBus.proxiedConfiguration("cancel-proxy")
        rabbitMQ.connectionTimeout = .seconds(60)
        rabbitMQ.recovery = .disabled
        return (rabbitMQ, proxy)
    }

    private func open(_ rabbitMQ: RabbitMQConfiguration) async throws -> RabbitMQMessageBus {
        try await RabbitMQMessageBus(
            rabbitMQ: rabbitMQ, configuration: MessageBusConfiguration(publishTimeout: .seconds(120)),
            logger: Logger(label: "test.rabbitmq.cancel"))
    }

    /// A bus on the test broker through a fresh proxy, with timeouts far beyond the test.
    private func openBus() async throws -> (bus: RabbitMQMessageBus, proxy: TCPProxy) {
        let (rabbitMQ, proxy) = try await self.proxiedConfiguration()
        return (try await self.open(rabbitMQ), proxy)
    }

    @Test("a cancelled open on a stalled connection throws CancellationError at once and leaves no connection")
    func openConnection() async throws {
        let (rabbitMQ, proxy) = try await self.proxiedConfiguration()
        proxy.fault = .stall
        let outcome = await CancellationProbe.cancel(after: .milliseconds(500)) { try await self.open(rabbitMQ) }
        #expect(outcome.threwCancellationPromptly, "\(outcome)")
        #expect(proxy.acceptedConnections == 1)
        proxy.fault = .none
        // The connect goes on once the connection moves again, and the connection it opened is closed at once.
        try await eventually("no open connection, saw \(proxy.openConnections)", timeout: .seconds(15)) {
            proxy.openConnections == 0
        }
        await proxy.stop()
    }

    /// ``openBus()``, with one message confirmed to a new destination and then the connection stalled.
    private func openStalledBus() async throws -> (bus: RabbitMQMessageBus, proxy: TCPProxy, destination: String) {
        let (bus, proxy) = try await self.openBus()
        let destination = AMQPTestEnvironment.uniqueName("cancel")
        try await bus.publish(Message(text: "warm-up"), to: destination)
        proxy.fault = .stall
        return (bus, proxy, destination)
    }

    private func finish(_ bus: RabbitMQMessageBus, _ proxy: TCPProxy) async throws {
        proxy.fault = .none
        try await bus.close(deadline: .seconds(10))
        await proxy.stop()
    }

    @Test("a cancelled publish on a stalled connection throws CancellationError at once; the bus goes on")
    func publish() async throws {
        let (bus, proxy, destination) = try await self.openStalledBus()
        let outcome = await CancellationProbe.cancel(after: .milliseconds(500)) {
            try await bus.publish(contentsOf: (0..<5).map { Message(text: "m\($0)") }, to: destination)
        }
        #expect(outcome.threwCancellationPromptly, "\(outcome)")
        proxy.fault = .none
        try await bus.publish(Message(text: "after"), to: destination)
        try await self.finish(bus, proxy)
    }

    @Test("a cancelled flush throws CancellationError at once; the next flush confirms the sent messages")
    func flush() async throws {
        let (bus, proxy, destination) = try await self.openStalledBus()
        try await bus.send(contentsOf: (0..<5).map { Message(text: "s\($0)") }, to: destination)
        let outcome = await CancellationProbe.cancel(after: .milliseconds(500)) { try await bus.flush() }
        #expect(outcome.threwCancellationPromptly, "\(outcome)")
        proxy.fault = .none
        try await bus.flush()
        try await self.finish(bus, proxy)
    }

    @Test("a cancelled subscribe throws CancellationError at once and leaves no consumer on the group's queue")
    func subscribe() async throws {
        let (bus, proxy) = try await self.openBus()
        let destination = AMQPTestEnvironment.uniqueName("cancel")
        let queue = RabbitMQMessageBus.groupQueueName(destination: destination, group: "workers")
        proxy.fault = .stall
        let outcome = await CancellationProbe.cancel(after: .milliseconds(500)) {
            try await bus.subscribe(to: destination, group: "workers")
        }
        #expect(outcome.threwCancellationPromptly, "\(outcome)")
        proxy.fault = .none
        // The subscribe went on in the background once the connection moved again; its consumer is cancelled as
        // soon as it exists. The bound proves that it goes away, not how fast: on a loaded 2-core CI machine the
        // first inspection alone, queued behind the resumed subscribe on the just-unstalled connection, took 15 s.
        var consumers = -1
        try await eventually(
            "no consumer on '\(queue)', saw \(consumers)", timeout: .seconds(60), pollEvery: .milliseconds(100)
        ) {
            consumers = try await bus.inspectQueue(queue).consumerCount
            return consumers == 0
        }
        _ = try await bus.deleteQueue(queue)
        try await self.finish(bus, proxy)
    }

    @Test("a cancelled receive returns nothing at once, and the next message still arrives")
    func receive() async throws {
        let (bus, proxy) = try await self.openBus()
        let destination = AMQPTestEnvironment.uniqueName("cancel")
        let subscription = try await bus.subscribe(to: destination, group: nil)
        let check = try await CancellationProbe.cancelReceive(
            on: bus, subscription: subscription, destination: destination)
        #expect(check.outcome.endedPromptly, "\(check.outcome)")
        #expect(try check.outcome.result.get().isEmpty)
        #expect(check.receivedAfter == ["after"])
        try await self.finish(bus, proxy)
    }

    @Test("withTransaction in a cancelled task ends at once (RabbitMQ has no transactions)")
    func transaction() async throws {
        let (bus, proxy) = try await self.openBus()
        let outcome = await CancellationProbe.cancel(after: .zero) {
            try await bus.withTransaction { _ in }
        }
        #expect(outcome.elapsed < CancellationProbe.promptly, "took \(outcome.elapsed)")
        let error = try #require(throws: (any Error).self) { try outcome.result.get() }
        #expect(error is CancellationError || (error as? MessageBusError)?.code == .unsupported, "\(error)")
        try await self.finish(bus, proxy)
    }

    @Test("a cancelled close on a stalled connection ends at once and still closes the bus")
    func close() async throws {
        let (bus, proxy, destination) = try await self.openStalledBus()
        try await bus.send(contentsOf: (0..<5).map { Message(text: "s\($0)") }, to: destination)
        let outcome = await CancellationProbe.cancel(after: .milliseconds(500)) {
            try await bus.close(deadline: .seconds(60))
        }
        #expect(outcome.threwCancellationPromptly, "\(outcome)")
        await #expect(throws: MessageBusError.self) { try await bus.publish(Message(text: "x"), to: destination) }
        proxy.fault = .none
        await proxy.stop()
    }

    @Test("a publish waiting for room in a full command queue is cancelled at once and leaves nothing queued")
    func submitWaitingForRoom() async throws {
        let queue = CommandQueue(capacity: 2, wakeup: try Wakeup())
        let first = await queue.submit(.publish(PublishRequest(
            exchange: "orders", messages: [Message(text: "1"), Message(text: "2")], deadline: .now + .seconds(30),
            mandatory: false, properties: nil, completion: nil)))
        #expect(first)
        let outcome = await CancellationProbe.cancel(after: .milliseconds(200)) {
            await queue.submit(.publish(PublishRequest(
                exchange: "orders", messages: [Message(text: "3")], deadline: .now + .seconds(30), mandatory: false,
                properties: nil, completion: nil)))
        }
        #expect(outcome.endedPromptly, "\(outcome)")
        #expect(try outcome.result.get() == false)
        #expect(queue.takePublishes().map(\.weight) == [2])
    }
}
