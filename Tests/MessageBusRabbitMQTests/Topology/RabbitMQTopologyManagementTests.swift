import MessageBusIntegrationSupport
import Foundation
import MessageBus
import MessageBusRabbitMQ
import Testing

/// Passive checks, deletes, conflicting declarations, and topology declared again after a recovery.
@Suite(
    "RabbitMQ topology management (real broker)",
    .enabled(if: IntegrationGate.isEnabled, IntegrationGate.skipComment),
    .timeLimit(.minutes(1))
)
struct RabbitMQTopologyManagementTests {
    @Test("a subscriber group's queue is named by groupQueueName and shows its depth and consumers")
    func groupQueueName() async throws {
        try await withTopology { bus, name in
            let subscription = try await bus.subscribe(to: name, group: "billing")
            try await bus.publish(contentsOf: [Message(text: "1"), Message(text: "2")], to: name)
            let queue = RabbitMQMessageBus.groupQueueName(destination: name, group: "billing")
            #expect(queue == "\(name).billing")
            let status = try await bus.inspectQueue(queue)
            #expect(status.consumerCount == 1, "\(status)")
            await subscription.cancel()
            try await bus.deleteQueue(queue)
            try await bus.deleteExchange(name)
        }
    }

    @Test("passive checks tell what exists; deletes remove it with its messages")
    func passiveChecksAndDeletes() async throws {
        try await withTopology { bus, name in
            #expect(try await bus.exchangeExists(name) == false)
            let missing = try await #require(throws: MessageBusError.self) { try await bus.inspectQueue(name) }
            #expect(missing.code == .unknownDestination && missing.message.contains(name), "\(missing)")

            try await bus.declare(RabbitMQExchange(name, type: .direct, durable: false))
            #expect(try await bus.exchangeExists(name))
            let declared = try await bus.declare(RabbitMQQueue(name, durable: false))
            #expect(declared == RabbitMQQueueStatus(name: name, messageCount: 0, consumerCount: 0))
            try await bus.bind(RabbitMQBinding(.queue(name), to: name, routingKey: "k"))
            try await bus.publish(contentsOf: [Message(text: "1", key: "k"), Message(text: "2", key: "k")], to: name)
            #expect(try await bus.inspectQueue(name).messageCount == 2)
            // Declaring again with the same settings is a no-op that reports the current counts.
            #expect(try await bus.declare(RabbitMQQueue(name, durable: false)).messageCount == 2)

            let notEmpty = try await #require(throws: MessageBusError.self) {
                try await bus.deleteQueue(name, ifEmpty: true)
            }
            #expect(notEmpty.code == .invalidConfiguration, "\(notEmpty)")
            #expect(try await bus.deleteQueue(name) == 2)
            try await bus.deleteExchange(name)
            #expect(try await bus.exchangeExists(name) == false)
        }
    }

    @Test("a declaration that conflicts with the broker's is a typed error; the bus goes on working")
    func conflictingDeclaration() async throws {
        try await withTopology { bus, name in
            try await bus.declare(RabbitMQQueue(name, durable: false, expires: .seconds(60)))
            let conflict = try await #require(throws: MessageBusError.self) {
                try await bus.declare(RabbitMQQueue(name, durable: false, expires: .seconds(60), maxLength: 5))
            }
            #expect(conflict.code == .invalidConfiguration, "\(conflict)")
            #expect(conflict.message.contains(name) && conflict.message.contains("PRECONDITION_FAILED"), "\(conflict)")

            let exchange = "\(name).x"
            try await bus.declare(RabbitMQExchange(exchange, type: .direct, durable: false, autoDelete: true))
            let typeConflict = try await #require(throws: MessageBusError.self) {
                try await bus.declare(RabbitMQExchange(exchange, type: .fanout, durable: false, autoDelete: true))
            }
            #expect(typeConflict.code == .invalidConfiguration, "\(typeConflict)")
            #expect(typeConflict.message.contains("fanout exchange '\(exchange)'"), "\(typeConflict)")

            try await bus.declare(RabbitMQExchange(name, type: .fanout, durable: false, autoDelete: true))
            try await bus.bind(RabbitMQBinding(.queue(name), to: name))
            try await bus.publish(Message(text: "still works"), to: name)
            #expect(try await bus.inspectQueue(name).messageCount == 1)
            try await bus.deleteQueue(name)
        }
    }

    @Test("settings RabbitMQ would refuse are typed errors before anything is sent")
    func invalidSettings() async throws {
        try await withTopology { bus, name in
            let streamNotDurable = try await #require(throws: MessageBusError.self) {
                try await bus.declare(RabbitMQQueue(name, type: .stream, durable: false))
            }
            #expect(streamNotDurable.code == .invalidConfiguration && streamNotDurable.message.contains("stream"))
            let negativeTTL = try await #require(throws: MessageBusError.self) {
                try await bus.declare(RabbitMQQueue(name, messageTTL: .seconds(-1)))
            }
            #expect(negativeTTL.message.contains("messageTTL"), "\(negativeTTL)")
            let longName = String(repeating: "q", count: 256)
            let tooLong = try await #require(throws: MessageBusError.self) {
                try await bus.declare(RabbitMQExchange(longName, type: .direct))
            }
            #expect(tooLong.code == .invalidConfiguration && tooLong.message.contains("255 bytes"), "\(tooLong)")
            #expect(try await bus.exchangeExists(name) == false, "nothing was declared")
        }
    }

    @Test("after a forced reconnection, declared exchanges, exclusive queues and bindings exist again")
    func recoveryDeclaresTopologyAgain() async throws {
        try await RabbitMQTestBus.requireBroker()
        let name = AMQPTestEnvironment.uniqueName("test.redeclare")
        let query = "connection_name=\(name)"
        try await withTestBus(open: { try await RabbitMQTestBus.openRabbitMQ(query: query) }) { bus in
            let events = bus.connectionEvents()
            try await bus.declare(RabbitMQExchange(name, type: .direct, durable: false, autoDelete: true))
            // An exclusive queue dies with its connection: only a re-declaration brings it (and its binding) back.
            let queue = try await bus.declare(RabbitMQQueue(name, durable: false, exclusive: true)).name
            try await bus.bind(RabbitMQBinding(.queue(queue), to: name, routingKey: "k"))
            let deleted = "\(name).deleted"
            try await bus.declare(RabbitMQQueue(deleted, durable: false, exclusive: true))
            try await bus.deleteQueue(deleted)

            let closed = try await onDedicatedThread("rabbitmqctl") { try BrokerControl.closeConnections(named: name) }
            #expect(closed == 1)
            var seen: [RabbitMQConnectionEvent] = []
            for await event in events {
                seen.append(event)
                if case .recovered = event { break }
            }
            #expect(seen.count == 2, "\(seen)")
            if case .connectionLost(let reason) = seen.first {
                #expect(reason.contains("320") || reason.contains("CONNECTION_FORCED"), "\(reason)")
            } else {
                Issue.record("expected connectionLost first, got \(seen)")
            }
            try await bus.publish(Message(text: "after recovery", key: "k"), to: name)
            #expect(try await bus.inspectQueue(queue).messageCount == 1)
            await #expect(throws: MessageBusError.self, "a deleted queue is not resurrected") {
                try await bus.inspectQueue(deleted)
            }
        }
    }
}
