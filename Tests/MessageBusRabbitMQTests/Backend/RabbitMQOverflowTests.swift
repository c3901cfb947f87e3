import MessageBusIntegrationSupport
import Foundation
import MessageBus
import MessageBusRabbitMQ
import Testing

/// A queue full under `x-overflow: reject-publish` makes RabbitMQ nack the publish; the publisher sees a typed error.
@Suite(
    "RabbitMQ overflow (real broker)",
    .enabled(if: IntegrationGate.isEnabled, IntegrationGate.skipComment),
    .timeLimit(.minutes(1))
)
struct RabbitMQOverflowTests {
    /// Declares (or deletes, with `delete`) a queue of at most 2 messages that refuses more, bound with `#`.
    static let cappedQueueScript = """
        import sys, pika
        url, exchange, queue, action = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4]
        connection = pika.BlockingConnection(pika.URLParameters(url))
        channel = connection.channel()
        if action == "delete":
            channel.queue_delete(queue)
        else:
            channel.queue_declare(queue, durable=True, arguments={"x-max-length": 2, "x-overflow": "reject-publish"})
            channel.queue_bind(queue, exchange, routing_key="#")
        connection.close()
        """

    @Test("a publish into a full reject-publish queue fails with a typed error naming the message and destination")
    func rejectPublishIsANack() async throws {
        try await RabbitMQTestBus.requireBroker()
        let bus = try await RabbitMQTestBus.openRabbitMQ()
        defer { Task { try? await bus.close() } }
        let destination = "test.overflow.\(UUID().uuidString.prefix(8).lowercased())"
        let queue = "\(destination).capped"
        try await bus.publish(Message(text: "declares the exchange"), to: destination)
        _ = try await onDedicatedThread("pika") {
            try PikaClient.run(Self.cappedQueueScript, [AMQPTestEnvironment.url, destination, queue, "declare"])
        }
        do {
            try await bus.publish(contentsOf: [Message(text: "1"), Message(text: "2")], to: destination)
            let error = try await #require(throws: MessageBusError.self) {
                try await bus.publish(Message(text: "3", id: "third"), to: destination)
            }
            #expect(error.code == .brokerError, "\(error)")
            #expect(error.isRetriable)
            #expect(error.message.contains("'third'") && error.message.contains(destination), "\(error.message)")
            #expect(error.message.contains("basic.nack"), "\(error.message)")
        } catch {
            _ = try? await onDedicatedThread("pika") {
                try PikaClient.run(Self.cappedQueueScript, [AMQPTestEnvironment.url, destination, queue, "delete"])
            }
            throw error
        }
        _ = try await onDedicatedThread("pika") {
            try PikaClient.run(Self.cappedQueueScript, [AMQPTestEnvironment.url, destination, queue, "delete"])
        }
    }
}
