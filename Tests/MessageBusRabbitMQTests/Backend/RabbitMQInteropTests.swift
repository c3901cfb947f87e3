import MessageBusIntegrationSupport
import Foundation
import MessageBus
import MessageBusRabbitMQ
import Testing

/// Messages cross between MessageBus and an independent client (Python pika) unchanged, in both directions.
@Suite(
    "RabbitMQ interop with pika (real broker)",
    .enabled(if: IntegrationGate.isEnabled, IntegrationGate.skipComment),
    .timeLimit(.minutes(1))
)
struct RabbitMQInteropTests {
    struct PikaMessage: Decodable {
        var body: [UInt8]
        var routing_key: String
        var message_id: String?
        var content_type: String?
        var correlation_id: String?
        var delivery_mode: Int?
        var timestamp: Int?
        var header_names: [String]
        var headers: [String: [UInt8]]
    }

    @Test("pika reads what MessageBus published: body, properties and headers in order")
    func pikaReadsMessageBus() async throws {
        try await RabbitMQTestBus.requireBroker()
        try await withTestBus(open: { try await RabbitMQTestBus.open() }) { bus in
            let destination = "test.interop.\(UUID().uuidString.prefix(8).lowercased())"
            // Subscribing creates the group queue pika reads; cancelling leaves the queue (and its binding) in place.
            await (try await bus.subscribe(to: destination, group: "pika")).cancel()
            var headers = MessageHeaders()
            headers.append(name: "first", value: "1")
            headers.append(MessageHeader(name: "binary", value: [0, 255, 7]))
            headers.append(name: "unicode", value: "日本語")
            let sent = Message(
                payload: [1, 2, 3, 0, 255], key: "orders.eu", headers: headers, id: "interop-1",
                timestamp: Date(timeIntervalSince1970: 1_700_000_000), contentType: "application/x-test",
                correlationID: "corr-1")
            try await bus.publish(sent, to: destination)
            let output = try await onDedicatedThread("pika") {
                try PikaClient.run(PikaClient.getScript, [AMQPTestEnvironment.url, "\(destination).pika"])
            }
            let read = try JSONDecoder().decode(PikaMessage.self, from: Data(output.utf8))
            #expect(read.body == sent.payload)
            #expect(read.routing_key == "orders.eu")
            #expect(read.message_id == "interop-1")
            #expect(read.content_type == "application/x-test")
            #expect(read.correlation_id == "corr-1")
            #expect(read.delivery_mode == 2)
            #expect(read.timestamp == 1_700_000_000)
            #expect(read.header_names == ["first", "binary", "unicode"])
            #expect(read.headers["binary"] == [0, 255, 7])
            #expect(read.headers["unicode"] == Array("日本語".utf8))
        }
    }

    @Test("MessageBus reads what pika published: body, every property and headers")
    func messageBusReadsPika() async throws {
        try await RabbitMQTestBus.requireBroker()
        try await withTestBus(open: { try await RabbitMQTestBus.open() }) { bus in
            let destination = "test.interop.\(UUID().uuidString.prefix(8).lowercased())"
            let subscription = try await bus.subscribe(to: destination, group: "readers")
            _ = try await onDedicatedThread("pika") {
                try PikaClient.run(PikaClient.publishScript, [AMQPTestEnvironment.url, destination, "from.pika"])
            }
            let delivery = try #require(try await subscription.receive(max: 1, timeout: .seconds(10)).first)
            let message = delivery.message
            #expect(message.payload == [0, 1, 2, 250, 255])
            #expect(message.key == "from.pika")
            #expect(message.id == "from-pika")
            #expect(message.contentType == "application/octet-stream")
            #expect(message.correlationID == "corr-pika")
            #expect(message.timestamp == Date(timeIntervalSince1970: 1_700_000_000))
            #expect(message.headers["text"] == "grüße")
            #expect(message.headers.bytes(forName: "binary") == [0, 255])
            #expect(delivery.attempt == 1)
            #expect(delivery.rabbitMQProperties == RabbitMQMessageProperties(
                replyTo: "pika-replies", expiration: .seconds(60), priority: 3, type: "order.created",
                appID: "pika-app", contentEncoding: "identity"))
            try await delivery.ack()
        }
    }
}
