import ArgumentParser
import Foundation

/// `messagebus-bench`: MessageBus against the raw C libraries doing the same work on the same broker, in one run.
///
/// Every figure is a rate over the same number of 100-byte (by default) messages; the ratio column is
/// MessageBus's rate over the raw library's. Consumption is timed from the first message to the last, so group
/// joins and rebalances, which both sides pay alike, do not dilute the comparison.
@main
struct BenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "messagebus-bench",
        abstract: "Compare MessageBus with raw librdkafka and rabbitmq-c on the same brokers, side by side.")

    @Option(help: "Which brokers to measure: kafka, rabbitmq, memory (repeatable).")
    var backend: [String] = ["memory", "kafka", "rabbitmq"]

    @Option(help: "Messages per Kafka case.")
    var kafkaMessages = 200_000

    @Option(help: "Messages per RabbitMQ case.")
    var rabbitMQMessages = 50_000

    @Option(help: "Messages per in-memory case.")
    var memoryMessages = 200_000

    @Option(help: "Payload size in bytes.")
    var size = 100

    @Option(help: "Rounds per case; the best round of each side is reported.")
    var rounds = 2

    func run() async throws {
        let environment = ProcessInfo.processInfo.environment
        let kafkaBrokers = environment["MESSAGEBUS_KAFKA_BROKERS"] ?? "127.0.0.1:9092"
        let amqpURL = environment["MESSAGEBUS_AMQP_URL"] ?? "amqp://guest:guest@127.0.0.1:5672/%2F"
        let payload = [UInt8](repeating: UInt8(ascii: "x"), count: self.size)
        var table = BenchTable()
        for name in self.backend {
            switch name {
            case "memory":
                try await MemoryBench(messages: self.memoryMessages, payload: payload).run(rounds: self.rounds, into: &table)
            case "kafka":
                try await KafkaBench(brokers: kafkaBrokers, messages: self.kafkaMessages, payload: payload)
                    .run(rounds: self.rounds, into: &table)
            case "rabbitmq":
                try await RabbitMQBench(url: amqpURL, messages: self.rabbitMQMessages, payload: payload)
                    .run(rounds: self.rounds, into: &table)
            default:
                throw ValidationError("unknown backend '\(name)': expected kafka, rabbitmq or memory")
            }
        }
        print(table.rendered())
    }
}
