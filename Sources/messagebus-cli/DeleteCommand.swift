import ArgumentParser
import MessageBus
import MessageBusKafka
import MessageBusRabbitMQ

/// Deletes broker objects: Kafka topics; RabbitMQ exchanges, queues and bindings.
struct DeleteCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "delete",
        abstract: "Delete a Kafka topic, or a RabbitMQ exchange, queue or binding.",
        discussion: """
            Examples:
              messagebus delete topic orders --url kafka://127.0.0.1:9092
              messagebus delete queue orders.audit --if-empty --url amqp://guest:guest@127.0.0.1:5672/%2F
              messagebus delete exchange orders --url amqp://...
              messagebus delete binding --exchange orders --queue orders.audit --routing-key 'eu.#' --url amqp://...
            """,
        subcommands: [DeleteTopic.self, DeleteExchange.self, DeleteQueue.self, DeleteBinding.self])
}

struct DeleteTopic: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "topic", abstract: "Delete a Kafka topic and its records.")

    @OptionGroup var connection: ConnectionOptions
    @Argument(help: "The topic.") var name: String

    func run() async throws {
        let target = self.connection.target
        try await target.withKafka(for: "delete topic") { try await $0.deleteTopic(self.name) }
        print("deleted topic '\(self.name)' on \(target.redactedURL)")
    }
}

struct DeleteExchange: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "exchange", abstract: "Delete a RabbitMQ exchange.")

    @OptionGroup var connection: ConnectionOptions
    @Argument(help: "The exchange.") var name: String
    @Flag(name: .long, help: "Refuse while it has bindings.") var ifUnused = false

    func run() async throws {
        let target = self.connection.target
        try await target.withRabbitMQ(for: "delete exchange") {
            try await $0.deleteExchange(self.name, ifUnused: self.ifUnused)
        }
        print("deleted exchange '\(self.name)' on \(target.redactedURL)")
    }
}

struct DeleteQueue: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "queue", abstract: "Delete a RabbitMQ queue and its messages.")

    @OptionGroup var connection: ConnectionOptions
    @Argument(help: "The queue.") var name: String
    @Flag(name: .long, help: "Refuse while it has consumers.") var ifUnused = false
    @Flag(name: .long, help: "Refuse while it holds messages.") var ifEmpty = false

    func run() async throws {
        let target = self.connection.target
        let removed = try await target.withRabbitMQ(for: "delete queue") {
            try await $0.deleteQueue(self.name, ifUnused: self.ifUnused, ifEmpty: self.ifEmpty)
        }
        print("deleted queue '\(self.name)' with \(removed) messages on \(target.redactedURL)")
    }
}

struct DeleteBinding: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "binding", abstract: "Remove a RabbitMQ binding.")

    @OptionGroup var connection: ConnectionOptions
    @OptionGroup var binding: BindingOptions

    func run() async throws {
        let target = self.connection.target
        try await target.withRabbitMQ(for: "delete binding") { try await $0.unbind(self.binding.binding) }
        print("unbound \(self.binding.summary) on \(target.redactedURL)")
    }
}
