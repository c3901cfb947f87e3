import MessageBusIntegrationSupport
import Foundation
import MessageBus
import MessageBusRabbitMQ
import Testing

/// Mandatory publishing (`basic.return` surfaced as `.unroutable`) and the RabbitMQ-specific AMQP properties.
@Suite(
    "RabbitMQ publishing (real broker)",
    .enabled(if: IntegrationGate.isEnabled, IntegrationGate.skipComment),
    .timeLimit(.minutes(1))
)
struct RabbitMQPublishingTests {
    static func freshDestination() -> String { "test.publish.\(UUID().uuidString.prefix(8).lowercased())" }

    @Test("a mandatory publish that reaches no queue fails with unroutable, naming exchange and routing key")
    func mandatoryUnroutable() async throws {
        try await RabbitMQTestBus.requireBroker()
        try await withTestBus(open: { try await RabbitMQTestBus.openRabbitMQ() }) { bus in
            let destination = Self.freshDestination()
            let message = Message(text: "nobody listens", key: "eu.orders", id: "lost-1")

            // Not mandatory (the default): RabbitMQ confirms and drops it.
            try await bus.publish(message, to: destination)
            let error = try await #require(throws: MessageBusError.self) {
                try await bus.publish(message, to: destination, options: RabbitMQPublishOptions(mandatory: true))
            }
            #expect(error.code == .unroutable)
            #expect(error.message.contains("exchange '\(destination)'"), "\(error.message)")
            #expect(error.message.contains("routing key 'eu.orders'"), "\(error.message)")
            #expect(error.message.contains("lost-1"), "\(error.message)")

            // Once a group is bound the same mandatory publish is routed, and the stream of confirms is intact.
            let subscription = try await bus.subscribe(to: destination, group: "billing")
            try await bus.publish(message, to: destination, options: RabbitMQPublishOptions(mandatory: true))
            let delivery = try #require(try await subscription.receive(max: 1, timeout: .seconds(5)).first)
            #expect(delivery.message.id == "lost-1")
            try await delivery.ack()
        }
    }

    @Test("mandatory=true in the URL applies to every publish; send reports the return at flush")
    func mandatoryFromConfiguration() async throws {
        try await RabbitMQTestBus.requireBroker()
        try await withTestBus(open: { try await RabbitMQTestBus.openRabbitMQ(query: "mandatory=true") }) { bus in
            #expect(bus.rabbitMQConfiguration.mandatory)
            let destination = Self.freshDestination()
            let error = try await #require(throws: MessageBusError.self) {
                try await bus.publish(Message(text: "x", key: "k1"), to: destination)
            }
            #expect(error.code == .unroutable)
            try await bus.send(contentsOf: [Message(text: "y", key: "k2")], to: destination)
            let flushed = try await #require(throws: MessageBusError.self) { try await bus.flush() }
            #expect(flushed.code == .unroutable)
            #expect(flushed.message.contains("routing key 'k2'"), "\(flushed.message)")
            // The per-publish option overrides the configuration.
            try await bus.publish(
                Message(text: "z"), to: destination, options: RabbitMQPublishOptions(mandatory: false))
        }
    }

    @Test("reply-to, expiration, priority, type, app-id and content-encoding reach pika as AMQP properties")
    func propertiesReachPika() async throws {
        try await RabbitMQTestBus.requireBroker()
        try await withTestBus(open: { try await RabbitMQTestBus.openRabbitMQ() }) { bus in
            let destination = Self.freshDestination()
            await (try await bus.subscribe(to: destination, group: "pika")).cancel()
            let properties = RabbitMQMessageProperties(
                replyTo: "replies.billing", expiration: .seconds(60), priority: 7, type: "order.created",
                appID: "billing-service", contentEncoding: "gzip")
            try await bus.publish(
                Message(payload: [1, 2, 3], key: "k", id: "props-1", contentType: "application/json"), to: destination,
                options: RabbitMQPublishOptions(properties: properties))
            let output = try await onDedicatedThread("pika") {
                try PikaClient.run(PikaClient.getScript, [AMQPTestEnvironment.url, "\(destination).pika"])
            }
            let read = try JSONDecoder().decode(PikaProperties.self, from: Data(output.utf8))
            #expect(read.message_id == "props-1")
            #expect(read.content_type == "application/json")
            #expect(read.reply_to == "replies.billing")
            #expect(read.expiration == "60000")
            #expect(read.priority == 7)
            #expect(read.type == "order.created")
            #expect(read.app_id == "billing-service")
            #expect(read.content_encoding == "gzip")
        }
    }

    @Test("a property out of range is a typed error naming it, before anything is sent")
    func rejectsBadProperties() async throws {
        try await RabbitMQTestBus.requireBroker()
        try await withTestBus(open: { try await RabbitMQTestBus.openRabbitMQ() }) { bus in
            for (properties, key) in [
                (RabbitMQMessageProperties(type: String(repeating: "t", count: 256)), "type"),
                (RabbitMQMessageProperties(expiration: .seconds(-1)), "expiration"),
            ] {
                let error = try await #require(throws: MessageBusError.self) {
                    try await bus.publish(
                        Message(text: "x"), to: Self.freshDestination(),
                        options: RabbitMQPublishOptions(properties: properties))
                }
                #expect(error.code == .invalidConfiguration)
                #expect(error.message.contains("'\(key)'"), "\(error.message)")
            }
        }
    }

    /// The fields of pika's JSON this suite reads.
    struct PikaProperties: Decodable {
        var message_id: String?
        var content_type: String?
        var reply_to: String?
        var expiration: String?
        var priority: Int?
        var type: String?
        var app_id: String?
        var content_encoding: String?
    }
}
