import Foundation
import Logging
import MessageBus
import MessageBusIntegrationSupport
import MessageBusRabbitMQ
import Testing

/// A connection the broker force-closes (`rabbitmqctl close_connection`) recovers by itself.
@Suite(
    "RabbitMQ recovery (real broker)",
    .enabled(if: IntegrationGate.isEnabled, IntegrationGate.skipComment),
    .timeLimit(.minutes(2))
)
struct RabbitMQRecoveryTests {
    @Test("a force-closed connection recovers: consumers resume, stale deliveries refuse settling, nothing is lost")
    func forceClosedConnectionRecovers() async throws {
        try await RabbitMQTestBus.requireBroker()
        let name = "recovery-\(UUID().uuidString.prefix(8).lowercased())"
        try await withTestBus(open: { try await RabbitMQTestBus.open(query: "connection_name=\(name)") }) { bus in
            let destination = "test.\(name)"
            let subscription = try await bus.subscribe(
                to: destination, group: "workers", options: SubscriptionOptions(startPosition: .earliest, prefetch: 20))
            let before = (0..<10).map { Message(text: "before-\($0)", id: "before-\($0)") }
            try await bus.publish(contentsOf: before, to: destination)
            var held: [Delivery] = []
            while held.count < 3 { held += try await subscription.receive(max: 3 - held.count, timeout: .seconds(10)) }

            let closed = try await onDedicatedThread("rabbitmqctl") { try BrokerControl.closeConnections(named: name) }
            #expect(closed == 1, "expected to close one connection named \(name)")

            // Publishing waits for the recovered connection and is confirmed there.
            let after = (0..<5).map { Message(text: "after-\($0)", id: "after-\($0)") }
            try await bus.publish(contentsOf: after, to: destination)
            await #expect(throws: MessageBusError.self) { try await held.ackAll() }

            var seen = Set<String>()
            let expected = Set((before + after).map(\.id))
            try await eventually("15 messages (missing \(expected.subtracting(seen)))", timeout: .seconds(30)) {
                let batch = try await subscription.receive(max: 20, timeout: .seconds(1))
                seen.formUnion(batch.map(\.message.id))
                try await batch.ackAll()
                return seen.count >= 15
            }
            #expect(seen == expected, "missing \(expected.subtracting(seen))")
            try await bus.checkReadiness()
        }
    }

    @Test("a subscribe and a queue declare whose connection is cut while they run complete on the recovered connection")
    func requestsInterruptedByConnectionLossRunAgain() async throws {
        let (rabbitMQ, proxy) = try await RabbitMQTestBus.proxiedConfiguration("request-cut-proxy")
        let bus = try await RabbitMQMessageBus(
            rabbitMQ: rabbitMQ, configuration: MessageBusConfiguration(),
            logger: Logger(label: "test.rabbitmq.request-cut"))
        /// Runs `request` on a stalled connection (its first frame waits there), cuts the connection, and lets the
        /// next one through.
        func cutWhileRunning<T: Sendable>(_ request: @escaping @Sendable () async throws -> T) async throws -> T {
            proxy.fault = .stall
            let running = Task { try await request() }
            try await Task.sleep(for: .milliseconds(500))
            proxy.cutAll()
            proxy.fault = .none
            return try await running.value
        }
        let destination = AMQPTestEnvironment.uniqueName("request-cut")
        let subscription = try await cutWhileRunning { try await bus.subscribe(to: destination, group: "workers") }
        #expect(proxy.acceptedConnections == 2, "one connection before the cut, one recovered")
        try await bus.publish(Message(text: "after the cut", id: "after"), to: destination)
        let deliveries = try await subscription.receive(max: 1, timeout: .seconds(10))
        #expect(deliveries.map(\.message.id) == ["after"])
        try await deliveries.ackAll()

        let queue = RabbitMQQueue(AMQPTestEnvironment.uniqueName("request-cut-queue"), type: .quorum)
        let status = try await cutWhileRunning { try await bus.declare(queue) }
        #expect(status.name == queue.name)
        #expect(proxy.acceptedConnections == 3)
        _ = try await bus.deleteQueue(queue.name)
        try await bus.close(deadline: .seconds(10))
        await proxy.stop()
    }
}
