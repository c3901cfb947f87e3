import ArgumentParser
import MessageBus

/// Publishes text messages and waits for the broker's acknowledgement.
struct PublishCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "publish", abstract: "Publish text messages to a destination and wait for the broker's acknowledgement.")

    @OptionGroup var connection: ConnectionOptions

    @Option(name: .long, help: "The destination (Kafka topic, RabbitMQ exchange).")
    var destination: String

    @Option(name: .long, help: "The message key (Kafka record key, RabbitMQ routing key).")
    var key: String?

    @Argument(help: "The messages' text, one message each.")
    var texts: [String]

    func run() async throws {
        let bus = try await self.connection.target.connect()
        try await bus.publish(contentsOf: self.texts.map { Message(text: $0, key: self.key) }, to: self.destination)
        try await bus.close()
        print("published \(self.texts.count) message(s) to '\(self.destination)' on \(bus.backend)")
    }
}
