@testable import MessageBusRabbitMQ
import Testing

/// The recorded topology alone: what recovery declares again, and in which order.
@Suite("RecordedTopology")
struct RecordedTopologyTests {
    let exchange = RabbitMQExchange("orders", type: .direct)
    let queue = RabbitMQQueue("orders.eu", type: .quorum)
    var binding: RabbitMQBinding { RabbitMQBinding(.queue("orders.eu"), to: "orders", routingKey: "eu") }

    @Test("entries replay in declaration order; a repeat keeps its first position with its latest settings")
    func orderAndRepeats() {
        var topology = RecordedTopology()
        topology.record(.exchange(self.exchange))
        topology.record(.queue(self.queue))
        topology.record(.binding(self.binding))
        var changed = self.exchange
        changed.alternateExchange = "unrouted"
        topology.record(.exchange(changed))
        topology.record(.binding(self.binding))
        #expect(topology.entries == [.exchange(changed), .queue(self.queue), .binding(self.binding)])
    }

    @Test("a server-named queue is not recorded: its name dies with the connection")
    func serverNamedQueue() {
        var topology = RecordedTopology()
        topology.record(.queue(RabbitMQQueue("", exclusive: true)))
        #expect(topology.entries.isEmpty)
    }

    @Test("bindings to a queue the broker named are not recorded: the queue is gone on the next connection")
    func serverNamedBinding() {
        var topology = RecordedTopology()
        topology.noteServerNamed("amq.gen-abc")
        topology.record(.binding(RabbitMQBinding(.queue("amq.gen-abc"), to: "orders", routingKey: "eu")))
        topology.record(.binding(self.binding))
        #expect(topology.entries == [.binding(self.binding)])
    }

    @Test("deleting a queue forgets it and the bindings to it, and nothing else")
    func forgetQueue() {
        var topology = RecordedTopology()
        let other = RabbitMQBinding(.queue("orders.us"), to: "orders", routingKey: "us")
        for entry: RecordedTopology.Entry in [
            .exchange(self.exchange), .queue(self.queue), .binding(self.binding), .binding(other),
            .groupQueue(queue: "orders.eu", destination: "orders"),
        ] {
            topology.record(entry)
        }
        topology.forgetQueue("orders.eu")
        #expect(topology.entries == [.exchange(self.exchange), .binding(other)])
    }

    @Test("deleting an exchange forgets it, its group queues' bindings and every binding from or to it")
    func forgetExchange() {
        var topology = RecordedTopology()
        let exchangeToExchange = RabbitMQBinding(.exchange("audit"), to: "orders")
        let intoOrders = RabbitMQBinding(.exchange("orders"), to: "ingress")
        for entry: RecordedTopology.Entry in [
            .destination("orders"), .queue(self.queue), .binding(self.binding), .binding(exchangeToExchange),
            .binding(intoOrders), .exchange(RabbitMQExchange("audit", type: .fanout)),
        ] {
            topology.record(entry)
        }
        topology.forgetExchange("orders")
        #expect(topology.entries == [.queue(self.queue), .exchange(RabbitMQExchange("audit", type: .fanout))])
        #expect(!topology.hasExchange("orders") && topology.hasExchange("audit"))
    }

    @Test("unbinding forgets exactly that binding (same key and arguments)")
    func forgetBinding() {
        var topology = RecordedTopology()
        let headers = RabbitMQBinding(.queue("q"), to: "h", matching: .all(["format": "pdf"]))
        topology.record(.binding(headers))
        topology.forget(RabbitMQBinding(.queue("q"), to: "h", matching: .any(["format": "pdf"])))
        #expect(topology.entries == [.binding(headers)])
        topology.forget(RabbitMQBinding(.queue("q"), to: "h", matching: .all(["format": "pdf"])))
        #expect(topology.entries.isEmpty)
    }

    @Test("typed queue settings become the x- arguments RabbitMQ reads")
    func queueArguments() {
        let queue = RabbitMQQueue(
            "q", type: .quorum, messageTTL: .milliseconds(1500), expires: .seconds(60), maxLength: 10,
            maxLengthBytes: 1024, overflow: .rejectPublish, deadLetterExchange: "dlx", deadLetterRoutingKey: "dead",
            singleActiveConsumer: true, deliveryLimit: 3, arguments: ["x-custom": "kept"])
        #expect(queue.declareArguments == [
            "x-queue-type": "quorum", "x-message-ttl": 1500, "x-expires": 60000, "x-max-length": 10,
            "x-max-length-bytes": 1024, "x-overflow": "reject-publish", "x-dead-letter-exchange": "dlx",
            "x-dead-letter-routing-key": "dead", "x-single-active-consumer": true, "x-delivery-limit": 3,
            "x-custom": "kept",
        ])
        #expect(RabbitMQQueue("s", type: .stream, maxAge: .seconds(3600)).declareArguments == [
            "x-queue-type": "stream", "x-max-age": "3600s",
        ])
    }
}
