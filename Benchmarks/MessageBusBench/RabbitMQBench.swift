import Foundation
import MessageBus
import MessageBusRabbitMQ

/// RabbitMQ: raw rabbitmq-c and MessageBus each publish the same number of persistent messages with confirms
/// (1,000 outstanding) to one exchange whose group queue MessageBus declared, then each consumes half of the
/// queue with a prefetch of 1,000, acknowledging 100 at once.
struct RabbitMQBench {
    let url: String
    let messages: Int
    let payload: [UInt8]

    func run(rounds: Int, into table: inout BenchTable) async throws {
        let address = try MessageBusURL(self.url)
        guard let host = address.hosts.first else { throw RawClientError(description: "no host in \(address)") }
        let workload = BusWorkload(url: self.url, backends: [.rabbitMQ], messages: self.messages, payload: self.payload)
        var rawPublish: [Duration] = []
        var busPublish: [Duration] = []
        var rawConsume: [Duration] = []
        var busConsume: [Duration] = []
        for _ in 0..<rounds {
            let exchange = "bench.rabbitmq.\(UUID().uuidString.prefix(8).lowercased())"
            try await workload.provision(destination: exchange, group: "bench")
            rawPublish.append(try await onDedicatedThread("raw-amqp-publisher") { [messages, payload] in
                try Self.connectRaw(address, host: host).publish(
                    exchange: exchange, routingKey: "k", count: messages, payload: payload, window: 1000)
            })
            busPublish.append(try await workload.publish(destination: exchange, mode: .confirmedBatches))
            rawConsume.append(try await onDedicatedThread("raw-amqp-consumer") { [messages] in
                try Self.connectRaw(address, host: host).consume(queue: "\(exchange).bench", count: messages, prefetch: 1000, ackEvery: 100)
            })
            busConsume.append(try await workload.consume(destination: exchange, group: "bench", count: self.messages))
        }
        table.add(
            backend: "rabbitmq", workload: "publish persistent, confirms, 1,000 in flight", messages: self.messages,
            raw: best(rawPublish), bus: best(busPublish))
        table.add(
            backend: "rabbitmq", workload: "consume, prefetch 1,000, ack per 100", messages: self.messages,
            raw: best(rawConsume), bus: best(busConsume))
    }

    private static func connectRaw(_ address: MessageBusURL, host: MessageBusURL.Host) throws -> RawRabbitMQ {
        try RawRabbitMQ(
            host: host.name, port: Int32(host.port ?? 5672), user: address.user ?? "guest",
            password: address.password ?? "guest", virtualHost: address.hasPath ? address.path : "/")
    }
}
