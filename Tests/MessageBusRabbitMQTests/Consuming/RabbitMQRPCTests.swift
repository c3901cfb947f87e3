import MessageBusIntegrationSupport
import Foundation
import MessageBus
import MessageBusRabbitMQ
import Testing

/// Request/response over direct reply-to.
@Suite(
    "RabbitMQ RPC on direct reply-to (real broker)",
    .enabled(if: IntegrationGate.isEnabled, IntegrationGate.skipComment),
    .timeLimit(.minutes(1))
)
struct RabbitMQRPCTests {
    @Test("a request gets the responder's reply, matched by correlation id, with concurrent requests")
    func roundTrip() async throws {
        try await withTopology { bus, name in
            let responderBus = try await RabbitMQTestBus.openRabbitMQ(label: "test.rpc.responder")
            let queue = try await responderBus.declare(RabbitMQQueue(name, durable: false, exclusive: true)).name
            try await responderBus.bind(RabbitMQBinding(.queue(queue), to: "amq.direct", routingKey: queue))
            let requests = try await responderBus.subscribe(toQueue: queue)
            let responder = Task {
                for try await request in requests {
                    #expect(request.rabbitMQProperties.replyTo?.hasPrefix("amq.rabbitmq.reply-to") == true)
                    try await responderBus.reply(to: request, with: Message(text: "echo: \(request.message.text ?? "")"))
                    try await request.ack()
                }
            }
            let replies = try await withThrowingTaskGroup(of: (Int, Message).self) { group in
                for index in 0..<20 {
                    group.addTask {
                        // The timeout bounds a lost reply, not the speed of a loaded machine.
                        let reply = try await bus.request(
                            Message(text: "ping \(index)", key: queue), to: "amq.direct", timeout: .seconds(30))
                        return (index, reply)
                    }
                }
                return try await group.reduce(into: [Int: Message]()) { $0[$1.0] = $1.1 }
            }
            #expect(replies.count == 20)
            for (index, reply) in replies {
                #expect(reply.text == "echo: ping \(index)")
            }
            var withID = Message(text: "with id", key: queue)
            withID.correlationID = "my-correlation"
            let explicit = try await bus.request(withID, to: "amq.direct", timeout: .seconds(10))
            #expect(explicit.correlationID == "my-correlation")
            responder.cancel()
            try await responderBus.close()
        }
    }

    @Test("no reply within the timeout is a typed timeout; a request no queue receives is unroutable at once")
    func timeoutAndUnroutable() async throws {
        try await withTopology { bus, name in
            let queue = try await bus.declare(RabbitMQQueue(name, durable: false, exclusive: true)).name
            try await bus.bind(RabbitMQBinding(.queue(queue), to: "amq.direct", routingKey: queue))
            let silent = try await #require(throws: MessageBusError.self) {
                try await bus.request(Message(text: "nobody answers", key: queue), to: "amq.direct", timeout: .milliseconds(300))
            }
            #expect(silent.code == .timeout && silent.message.contains("amq.direct"), "\(silent)")

            let unroutable = try await #require(throws: MessageBusError.self) {
                try await bus.request(
                    Message(text: "no such queue", key: "\(name).nowhere"), to: "amq.direct", timeout: .seconds(30))
            }
            #expect(unroutable.code == .unroutable, "\(unroutable)")

            let noReplyTo = try #require(try await bus.get(from: queue))
            #expect(noReplyTo.rabbitMQProperties.replyTo != nil, "the timed-out request still sits in the queue")
            try await noReplyTo.ack()
            try await bus.publish(Message(text: "plain", key: queue), to: "amq.direct")
            let plain = try #require(try await bus.get(from: queue))
            let error = try await #require(throws: MessageBusError.self) {
                try await bus.reply(to: plain, with: Message(text: "to whom?"))
            }
            #expect(error.code == .invalidConfiguration && error.message.contains("reply-to"), "\(error)")
            try await plain.ack()
        }
    }

    @Test("a second request with a correlation id still waiting is refused; the first is unaffected")
    func duplicateCorrelationID() async throws {
        try await withTopology { bus, name in
            let queue = try await bus.declare(RabbitMQQueue(name, durable: false, exclusive: true)).name
            try await bus.bind(RabbitMQBinding(.queue(queue), to: "amq.direct", routingKey: queue))
            var request = Message(text: "first", key: queue)
            request.correlationID = "order-42"
            let first = Task { [request] in
                try await bus.request(request, to: "amq.direct", timeout: .seconds(10))
            }
            // The first is waiting once the broker holds it.
            try await eventually("the first request in queue \(queue)", timeout: .seconds(10)) {
                try await bus.inspectQueue(queue).messageCount > 0
            }
            let duplicate = try await #require(throws: MessageBusError.self) {
                try await bus.request(request, to: "amq.direct", timeout: .seconds(10))
            }
            #expect(duplicate.code == .invalidConfiguration && duplicate.message.contains("order-42"), "\(duplicate)")
            // Answer the first: it still gets its reply.
            let asked = try #require(try await bus.get(from: queue))
            try await bus.reply(to: asked, with: Message(text: "answer"))
            try await asked.ack()
            #expect(try await first.value.text == "answer")
        }
    }

    @Test("a request in flight when the connection drops fails, and is not sent again on the new connection")
    func requestAcrossConnectionLoss() async throws {
        try await RabbitMQTestBus.requireBroker()
        let name = AMQPTestEnvironment.uniqueName("test.rpc-loss")
        let query = "connection_name=\(name)"
        try await withTestBus(open: { try await RabbitMQTestBus.openRabbitMQ(query: query) }) { bus in
            let observerLabel = "test.rpc-loss.observer"
            try await withTestBus(open: { try await RabbitMQTestBus.openRabbitMQ(label: observerLabel) }) { observer in
                let queue = try await observer.declare(RabbitMQQueue(name, durable: false, expires: .seconds(60))).name
                try await observer.bind(RabbitMQBinding(.queue(queue), to: "amq.direct", routingKey: queue))
                let pending = Task {
                    try await bus.request(
                        Message(text: "nobody answers yet", key: queue), to: "amq.direct", timeout: .seconds(120))
                }
                try await eventually("the request in queue \(queue)", timeout: .seconds(10)) {
                    try await observer.inspectQueue(queue).messageCount > 0
                }
                let closed = try await onDedicatedThread("rabbitmqctl") {
                    try BrokerControl.closeConnections(named: name)
                }
                #expect(closed == 1)
                let lost = try await #require(throws: MessageBusError.self) { try await pending.value }
                #expect(lost.code == .connectionFailed, "\(lost)")

                // The recovered connection publishes (a mandatory request too) without sending the old request again.
                try await bus.publish(Message(text: "after", key: queue), to: "amq.direct")
                #expect(try await observer.inspectQueue(queue).messageCount == 2)
                try await observer.deleteQueue(queue)
            }
        }
    }
}
