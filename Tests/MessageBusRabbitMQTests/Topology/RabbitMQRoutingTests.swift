import MessageBusIntegrationSupport
import Foundation
import MessageBus
import MessageBusRabbitMQ
import Testing

/// Each exchange type routes as RabbitMQ defines it, through the topology API alone.
@Suite(
    "RabbitMQ routing by exchange type (real broker)",
    .enabled(if: IntegrationGate.isEnabled, IntegrationGate.skipComment),
    .timeLimit(.minutes(1))
)
struct RabbitMQRoutingTests {
    @Test("direct: a binding gets exactly the messages whose routing key equals its key")
    func direct() async throws {
        try await withTopology { bus, name in
            try await bus.declare(RabbitMQExchange(name, type: .direct, durable: false, autoDelete: true))
            let routes = try await bus.declareQueues(name, bound: [("a", "red"), ("b", "green")], to: name)
            try await bus.publish(contentsOf: keyed(["red", "green", "red", "blue"]), to: name)
            try await expectQueue(routes["a"]!, holds: ["red-0", "red-2"], on: bus)
            try await expectQueue(routes["b"]!, holds: ["green-1"], on: bus)
        }
    }

    @Test("fanout: every binding gets every message, whatever its routing key")
    func fanout() async throws {
        try await withTopology { bus, name in
            try await bus.declare(RabbitMQExchange(name, type: .fanout, durable: false, autoDelete: true))
            let routes = try await bus.declareQueues(name, bound: [("a", "ignored"), ("b", "")], to: name)
            try await bus.publish(contentsOf: keyed(["x", "y"]), to: name)
            try await expectQueue(routes["a"]!, holds: ["x-0", "y-1"], on: bus)
            try await expectQueue(routes["b"]!, holds: ["x-0", "y-1"], on: bus)
        }
    }

    @Test("topic: '*' matches one word and '#' any number")
    func topic() async throws {
        try await withTopology { bus, name in
            try await bus.declare(RabbitMQExchange(name, type: .topic, durable: false, autoDelete: true))
            let routes = try await bus.declareQueues(
                name, bound: [("eu", "orders.*.eu"), ("all", "orders.#"), ("audit", "#.audit")], to: name)
            try await bus.publish(
                contentsOf: keyed(["orders.new.eu", "orders.new.us", "orders.paid.eu.audit", "payments.audit"]),
                to: name)
            try await expectQueue(routes["eu"]!, holds: ["orders.new.eu-0"], on: bus)
            try await expectQueue(
                routes["all"]!, holds: ["orders.new.eu-0", "orders.new.us-1", "orders.paid.eu.audit-2"], on: bus)
            try await expectQueue(routes["audit"]!, holds: ["orders.paid.eu.audit-2", "payments.audit-3"], on: bus)
        }
    }

    @Test("headers: x-match all needs every header, any needs one; the routing key is ignored")
    func headers() async throws {
        try await withTopology { bus, name in
            try await bus.declare(RabbitMQExchange(name, type: .headers, durable: false, autoDelete: true))
            let all = try await bus.declare(RabbitMQQueue("\(name).all", durable: false, expires: .seconds(60))).name
            let any = try await bus.declare(RabbitMQQueue("\(name).any", durable: false, expires: .seconds(60))).name
            try await bus.bind(RabbitMQBinding(
                .queue(all), to: name, matching: .all(["format": "pdf", "type": "report"])))
            try await bus.bind(RabbitMQBinding(
                .queue(any), to: name, matching: .any(["format": "pdf", "type": "log"])))
            func message(_ id: String, _ headers: [(String, String)]) -> Message {
                var message = Message(text: id, key: "ignored", id: id)
                for (header, value) in headers { message.headers[header] = value }
                return message
            }
            try await bus.publish(
                contentsOf: [
                    message("pdf-report", [("format", "pdf"), ("type", "report")]),
                    message("pdf-only", [("format", "pdf")]),
                    message("zip-log", [("format", "zip"), ("type", "log")]),
                    message("none", []),
                ], to: name)
            try await expectQueue(all, holds: ["pdf-report"], on: bus)
            try await expectQueue(any, holds: ["pdf-report", "pdf-only", "zip-log"], on: bus)
        }
    }

    @Test("exchange-to-exchange: a binding between exchanges routes on by the downstream exchange's own type")
    func exchangeToExchange() async throws {
        try await withTopology { bus, name in
            let upstream = "\(name).in"
            // Not auto-deleted: unbinding its only binding below would delete it.
            try await bus.declare(RabbitMQExchange(upstream, type: .fanout, durable: false))
            try await bus.declare(RabbitMQExchange(name, type: .direct, durable: false, autoDelete: true, isInternal: true))
            try await bus.bind(RabbitMQBinding(.exchange(name), to: upstream))
            let routes = try await bus.declareQueues(name, bound: [("a", "red")], to: name)
            try await bus.publish(contentsOf: keyed(["red", "green"]), to: upstream)
            try await expectQueue(routes["a"]!, holds: ["red-0"], on: bus)

            try await bus.unbind(RabbitMQBinding(.exchange(name), to: upstream))
            try await bus.publish(contentsOf: keyed(["red"]), to: upstream)
            try await expectQueue(routes["a"]!, holds: [], on: bus)
            try await bus.deleteExchange(upstream)
        }
    }

    @Test("alternate exchange: what the exchange cannot route goes to its alternate")
    func alternateExchange() async throws {
        try await withTopology { bus, name in
            let alternate = "\(name).unrouted"
            try await bus.declare(RabbitMQExchange(alternate, type: .fanout, durable: false, autoDelete: true))
            try await bus.declare(RabbitMQExchange(
                name, type: .direct, durable: false, autoDelete: true, alternateExchange: alternate))
            let routes = try await bus.declareQueues(name, bound: [("a", "known")], to: name)
            let unrouted = try await bus.declareQueues(alternate, bound: [("all", "")], to: alternate)
            try await bus.publish(contentsOf: keyed(["known", "unknown"]), to: name)
            try await expectQueue(routes["a"]!, holds: ["known-0"], on: bus)
            try await expectQueue(unrouted["all"]!, holds: ["unknown-1"], on: bus)
        }
    }
}

/// Runs `body` with a bus and a unique name, closing the bus afterwards.
func withTopology(_ body: (RabbitMQMessageBus, String) async throws -> Void) async throws {
    try await RabbitMQTestBus.requireBroker()
    let bus = try await RabbitMQTestBus.openRabbitMQ()
    let name = AMQPTestEnvironment.uniqueName("test.topology")
    do {
        try await body(bus, name)
    } catch {
        try? await bus.close()
        throw error
    }
    try await bus.close()
}

/// One message per routing key, with the id `<key>-<index>`.
func keyed(_ keys: [String]) -> [Message] {
    keys.enumerated().map { index, key in Message(text: key, key: key, id: "\(key)-\(index)") }
}

/// Checks that `queue` holds exactly the messages with `ids`, in that order (consuming them).
func expectQueue(
    _ queue: String, holds ids: [String], on bus: RabbitMQMessageBus, sourceLocation: SourceLocation = #_sourceLocation
) async throws {
    let status = try await bus.inspectQueue(queue)
    #expect(status.messageCount == ids.count, "queue \(queue)", sourceLocation: sourceLocation)
    guard !ids.isEmpty else { return }
    let subscription = try await bus.subscribe(toQueue: queue)
    var received: [String] = []
    while received.count < ids.count {
        let batch = try await subscription.receive(max: ids.count - received.count, timeout: .seconds(10))
        guard !batch.isEmpty else { break }
        received += batch.map(\.message.id)
        try await batch.ackAll()
    }
    await subscription.cancel()
    #expect(received == ids, "queue \(queue)", sourceLocation: sourceLocation)
}

extension RabbitMQMessageBus {
    /// Declares an auto-deleted queue `<prefix>.<label>` per entry, bound to `exchange` with its key.
    func declareQueues(
        _ prefix: String, bound keys: [(label: String, key: String)], to exchange: String
    ) async throws -> [String: String] {
        var names: [String: String] = [:]
        for (label, key) in keys {
            let queue = try await self.declare(RabbitMQQueue("\(prefix).\(label)", durable: false, expires: .seconds(60))).name
            try await self.bind(RabbitMQBinding(.queue(queue), to: exchange, routingKey: key))
            names[label] = queue
        }
        return names
    }
}
